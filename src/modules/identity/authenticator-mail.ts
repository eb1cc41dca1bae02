import { mailLanguage } from "../../platform/mail-language.ts";

/**
 * The e-mails telling a person that they turned two-factor sign-in with an authenticator app on
 * (with new recovery codes) or off (the app and the recovery codes no longer sign in), in the
 * languages the help center speaks. Plain text, no link, none of the codes; the time is UTC.
 */
type Texts = { onSubject: (team: string) => string; on: (team: string, when: string) => string; offSubject: (team: string) => string; off: (team: string, when: string) => string };

const texts: Record<string, Texts> = {
  en: {
    onSubject: (team) => `Two-factor sign-in was turned on for your account at ${team}`,
    on: (team, when) =>
      `Hello,\n\nTwo-factor sign-in with an authenticator app was turned on for your account at ${team} (${when}), and recovery codes were made for it. Signing in now asks for a code from the app.\n\nIf this was you, keep the recovery codes somewhere safe; there is nothing else to do.\nIf it wasn't you, someone may be using your account: change your password and tell your administrator or support team.\n`,
    offSubject: (team) => `Two-factor sign-in was turned off for your account at ${team}`,
    off: (team, when) =>
      `Hello,\n\nThe authenticator app was removed from your account at ${team} (${when}): its codes and your recovery codes no longer sign you in.\n\nIf this was you, there is nothing to do.\nIf it wasn't you, someone may be using your account: change your password, turn two-factor sign-in on again, and tell your administrator or support team.\n`,
  },
  sv: {
    onSubject: (team) => `Tvåstegsinloggning slogs på för ditt konto hos ${team}`,
    on: (team, when) =>
      `Hej!\n\nTvåstegsinloggning med en autentiseringsapp slogs på för ditt konto hos ${team} (${when}), och återställningskoder skapades. När du loggar in frågas du nu efter en kod från appen.\n\nOm det var du: spara återställningskoderna på ett säkert ställe; du behöver inte göra något annat.\nOm det inte var du kan någon annan använda ditt konto: byt lösenord och kontakta din administratör eller supportteamet.\n`,
    offSubject: (team) => `Tvåstegsinloggning stängdes av för ditt konto hos ${team}`,
    off: (team, when) =>
      `Hej!\n\nAutentiseringsappen togs bort från ditt konto hos ${team} (${when}): dess koder och dina återställningskoder kan inte längre användas för att logga in.\n\nOm det var du behöver du inte göra något.\nOm det inte var du kan någon annan använda ditt konto: byt lösenord, slå på tvåstegsinloggning igen och kontakta din administratör eller supportteamet.\n`,
  },
  ko: {
    onSubject: (team) => `${team} 계정에 2단계 로그인이 켜졌습니다`,
    on: (team, when) =>
      `안녕하세요.\n\n${team} 계정에 인증 앱을 사용하는 2단계 로그인이 켜지고 복구 코드가 만들어졌습니다(${when}). 이제 로그인할 때 앱의 코드를 입력해야 합니다.\n\n본인이라면 복구 코드를 안전한 곳에 보관해 주세요. 그 밖에 하실 일은 없습니다.\n본인이 아니라면 다른 사람이 계정을 사용하고 있을 수 있습니다. 비밀번호를 변경하고 관리자나 지원팀에 알려 주세요.\n`,
    offSubject: (team) => `${team} 계정의 2단계 로그인이 꺼졌습니다`,
    off: (team, when) =>
      `안녕하세요.\n\n${team} 계정에서 인증 앱이 삭제되었습니다(${when}). 이제 앱의 코드와 복구 코드로는 로그인할 수 없습니다.\n\n본인이라면 아무것도 하지 않으셔도 됩니다.\n본인이 아니라면 다른 사람이 계정을 사용하고 있을 수 있습니다. 비밀번호를 변경하고 2단계 로그인을 다시 켠 뒤 관리자나 지원팀에 알려 주세요.\n`,
  },
  ja: {
    onSubject: (team) => `${team} のアカウントで 2 段階認証が有効になりました`,
    on: (team, when) =>
      `こんにちは。\n\n${team} のアカウントで認証アプリによる 2 段階認証が有効になり、リカバリーコードが作成されました（${when}）。今後のサインインでは、アプリに表示されるコードの入力が必要です。\n\nご本人であれば、リカバリーコードを安全な場所に保管してください。ほかに必要な操作はありません。\nお心当たりがない場合は、第三者がアカウントを使用している可能性があります。パスワードを変更し、管理者またはサポートチームにご連絡ください。\n`,
    offSubject: (team) => `${team} のアカウントで 2 段階認証が無効になりました`,
    off: (team, when) =>
      `こんにちは。\n\n${team} のアカウントから認証アプリが削除されました（${when}）。アプリのコードとリカバリーコードではもうサインインできません。\n\nご本人であれば、何もする必要はありません。\nお心当たりがない場合は、第三者がアカウントを使用している可能性があります。パスワードを変更して 2 段階認証を再度有効にし、管理者またはサポートチームにご連絡ください。\n`,
  },
  "zh-CN": {
    onSubject: (team) => `您在 ${team} 的账户已开启两步验证登录`,
    on: (team, when) =>
      `您好：\n\n您在 ${team} 的账户已开启使用身份验证器应用的两步验证登录，并生成了恢复码（${when}）。今后登录时需要输入应用中的验证码。\n\n如果是您本人操作，请将恢复码保存在安全的地方，无需其他操作。\n如果不是您本人，可能有他人正在使用您的账户：请更改密码，并告知您的管理员或支持团队。\n`,
    offSubject: (team) => `您在 ${team} 的账户已关闭两步验证登录`,
    off: (team, when) =>
      `您好：\n\n您在 ${team} 的账户已移除身份验证器应用（${when}）：应用中的验证码和您的恢复码都不能再用于登录。\n\n如果是您本人操作，无需任何操作。\n如果不是您本人，可能有他人正在使用您的账户：请更改密码，重新开启两步验证登录，并告知您的管理员或支持团队。\n`,
  },
};

export function authenticatorMail(locale: string | null | undefined, team: string, event: "on" | "off", at: Date) {
  const language = mailLanguage(locale, Object.keys(texts));
  const t = texts[language]!;
  const when = `${at.toISOString().slice(0, 16).replace("T", " ")} UTC`;
  return event === "on" ? { language, subject: t.onSubject(team), text: t.on(team, when) } : { language, subject: t.offSubject(team), text: t.off(team, when) };
}
