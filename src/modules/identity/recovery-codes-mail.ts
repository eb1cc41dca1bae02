import { mailLanguage } from "../../platform/mail-language.ts";

/**
 * The e-mail telling a person that new two-factor recovery codes were made for their account (the
 * earlier ones stop working), in the languages the help center speaks. Plain text; the time is
 * UTC. It carries no code and no link: the codes were shown once, to whoever made them, and the
 * mail may be read anywhere.
 */
type Texts = { subject: (team: string) => string; text: (team: string, when: string) => string };

const texts: Record<string, Texts> = {
  en: {
    subject: (team) => `New recovery codes were made for your account at ${team}`,
    text: (team, when) =>
      `Hello,\n\nNew two-factor recovery codes were made for your account at ${team} (${when}). Your earlier recovery codes no longer work.\n\nIf this was you, keep the new codes somewhere safe; there is nothing else to do.\nIf it wasn't you, someone else may be signed in to your account: change your password at once and tell your administrator or support team.\n`,
  },
  sv: {
    subject: (team) => `Nya återställningskoder har skapats för ditt konto hos ${team}`,
    text: (team, when) =>
      `Hej!\n\nNya återställningskoder för tvåstegsverifiering har skapats för ditt konto hos ${team} (${when}). Dina tidigare återställningskoder fungerar inte längre.\n\nOm det var du: förvara de nya koderna på ett säkert ställe, du behöver inte göra något mer.\nOm det inte var du kan någon annan vara inloggad på ditt konto: byt lösenord genast och kontakta din administratör eller supportteamet.\n`,
  },
  ja: {
    subject: (team) => `${team} のアカウントの新しいリカバリーコードが作成されました`,
    text: (team, when) =>
      `こんにちは。\n\n${team} のアカウントの 2 段階認証用に新しいリカバリーコードが作成されました（${when}）。以前のリカバリーコードはもう使えません。\n\nご本人であれば、新しいコードを安全な場所に保管してください。ほかに必要な操作はありません。\nお心当たりがない場合は、ほかの誰かがあなたのアカウントにサインインしている可能性があります。すぐにパスワードを変更し、管理者またはサポートチームにご連絡ください。\n`,
  },
  ko: {
    subject: (team) => `${team} 계정의 새 복구 코드가 생성되었습니다`,
    text: (team, when) =>
      `안녕하세요.\n\n${team} 계정의 2단계 인증용 새 복구 코드가 생성되었습니다(${when}). 이전 복구 코드는 더 이상 쓸 수 없습니다.\n\n본인이라면 새 코드를 안전한 곳에 보관하세요. 그 밖에 하실 일은 없습니다.\n본인이 아니라면 다른 사람이 계정에 로그인해 있을 수 있습니다. 즉시 비밀번호를 변경하고 관리자나 지원팀에 알려 주세요.\n`,
  },
  "zh-CN": {
    subject: (team) => `您在 ${team} 的账户已生成新的恢复码`,
    text: (team, when) =>
      `您好：\n\n您在 ${team} 的账户刚刚生成了新的双重验证恢复码（${when}），之前的恢复码已失效。\n\n如果是您本人，请将新的恢复码妥善保存，无需其他操作。\n如果不是您本人，可能有他人登录了您的账户：请立即更改密码，并告知您的管理员或支持团队。\n`,
  },
};

export function recoveryCodesRenewedMail(locale: string | null | undefined, team: string, at: Date) {
  const language = mailLanguage(locale, Object.keys(texts));
  const t = texts[language]!;
  const when = `${at.toISOString().slice(0, 16).replace("T", " ")} UTC`;
  return { language, subject: t.subject(team), text: t.text(team, when) };
}
