import { mailLanguage } from "../../platform/mail-language.ts";

/**
 * The e-mails telling a person a passkey was added to or removed from their account, in the
 * languages the help center speaks. Plain text; the time is UTC. The passkey's name is not in the
 * mail (it is the person's own words, and the mail may be read anywhere).
 */
type Texts = { addedSubject: (team: string) => string; added: (team: string, when: string) => string; removedSubject: (team: string) => string; removed: (team: string, when: string, byAdmin: boolean) => string };

const texts: Record<string, Texts> = {
  en: {
    addedSubject: (team) => `A passkey was added to your account at ${team}`,
    added: (team, when) =>
      `Hello,\n\nA passkey was added to your account at ${team} (${when}). It can now be used to sign in.\n\nIf this was you, there is nothing to do.\nIf it wasn't you, sign in, remove the passkey under Security, change your password, and tell your administrator or support team.\n`,
    removedSubject: (team) => `A passkey was removed from your account at ${team}`,
    removed: (team, when, byAdmin) =>
      `Hello,\n\n${byAdmin ? "An administrator removed a passkey" : "A passkey was removed"} from your account at ${team} (${when}). It can no longer be used to sign in.\n\nIf you expected this, there is nothing to do.\nIf not, change your password and tell your administrator or support team.\n`,
  },
  sv: {
    addedSubject: (team) => `En nyckel (passkey) lades till på ditt konto hos ${team}`,
    added: (team, when) =>
      `Hej!\n\nEn nyckel (passkey) lades till på ditt konto hos ${team} (${when}). Den kan nu användas för att logga in.\n\nOm det var du behöver du inte göra något.\nOm det inte var du: logga in, ta bort nyckeln under Säkerhet, byt lösenord och kontakta din administratör eller supportteamet.\n`,
    removedSubject: (team) => `En nyckel (passkey) togs bort från ditt konto hos ${team}`,
    removed: (team, when, byAdmin) =>
      `Hej!\n\n${byAdmin ? "En administratör tog bort en nyckel (passkey)" : "En nyckel (passkey) togs bort"} från ditt konto hos ${team} (${when}). Den kan inte längre användas för att logga in.\n\nOm du väntade dig detta behöver du inte göra något.\nAnnars: byt lösenord och kontakta din administratör eller supportteamet.\n`,
  },
  ko: {
    addedSubject: (team) => `${team} 계정에 패스키가 추가되었습니다`,
    added: (team, when) =>
      `안녕하세요.\n\n${team} 계정에 패스키가 추가되었습니다(${when}). 이제 이 패스키로 로그인할 수 있습니다.\n\n본인이라면 아무것도 하지 않으셔도 됩니다.\n본인이 아니라면 로그인하여 보안 설정에서 패스키를 삭제하고 비밀번호를 변경한 뒤 관리자나 지원팀에 알려 주세요.\n`,
    removedSubject: (team) => `${team} 계정에서 패스키가 삭제되었습니다`,
    removed: (team, when, byAdmin) =>
      `안녕하세요.\n\n${byAdmin ? "관리자가 " : ""}${team} 계정에서 패스키를 삭제했습니다(${when}). 이 패스키로는 더 이상 로그인할 수 없습니다.\n\n예상하신 일이라면 아무것도 하지 않으셔도 됩니다.\n그렇지 않다면 비밀번호를 변경하고 관리자나 지원팀에 알려 주세요.\n`,
  },
  ja: {
    addedSubject: (team) => `${team} のアカウントにパスキーが追加されました`,
    added: (team, when) =>
      `こんにちは。\n\n${team} のアカウントにパスキーが追加されました（${when}）。このパスキーでサインインできるようになりました。\n\nご本人であれば、何もする必要はありません。\nお心当たりがない場合は、サインインしてセキュリティ設定からパスキーを削除し、パスワードを変更して、管理者またはサポートチームにご連絡ください。\n`,
    removedSubject: (team) => `${team} のアカウントからパスキーが削除されました`,
    removed: (team, when, byAdmin) =>
      `こんにちは。\n\n${byAdmin ? "管理者により、" : ""}${team} のアカウントからパスキーが削除されました（${when}）。このパスキーではもうサインインできません。\n\nお心当たりがあれば、何もする必要はありません。\nお心当たりがない場合は、パスワードを変更し、管理者またはサポートチームにご連絡ください。\n`,
  },
  "zh-CN": {
    addedSubject: (team) => `您在 ${team} 的账户添加了通行密钥`,
    added: (team, when) =>
      `您好：\n\n您在 ${team} 的账户刚刚添加了一个通行密钥（${when}），现在可以用它登录。\n\n如果是您本人，无需任何操作。\n如果不是您本人，请登录后在安全设置中删除该通行密钥，更改密码，并告知您的管理员或支持团队。\n`,
    removedSubject: (team) => `您在 ${team} 的账户删除了通行密钥`,
    removed: (team, when, byAdmin) =>
      `您好：\n\n${byAdmin ? "管理员从" : "有人从"}您在 ${team} 的账户中删除了一个通行密钥（${when}），它不能再用于登录。\n\n如果这在您的预料之中，无需任何操作。\n否则，请更改密码，并告知您的管理员或支持团队。\n`,
  },
};

export function passkeyMail(locale: string | null | undefined, team: string, event: "added" | "removed", at: Date, byAdmin = false) {
  const language = mailLanguage(locale, Object.keys(texts));
  const t = texts[language]!;
  const when = `${at.toISOString().slice(0, 16).replace("T", " ")} UTC`;
  return event === "added" ? { language, subject: t.addedSubject(team), text: t.added(team, when) } : { language, subject: t.removedSubject(team), text: t.removed(team, when, byAdmin) };
}
