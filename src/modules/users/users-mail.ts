import { mailLanguage } from "../../platform/mail-language.ts";

/**
 * The e-mails of an address change, in the languages the help center speaks. Plain text only:
 * the link is the message, and plain text carries no tracking or markup.
 */

type Texts = {
  confirmSubject: string;
  confirm: (name: string, url: string, hours: number) => string;
  noticeSubject: string;
  notice: (name: string) => string;
};

const texts: Record<string, Texts> = {
  en: {
    confirmSubject: "Confirm your new e-mail address",
    confirm: (name, url, hours) =>
      `Hello ${name},\n\nSomeone asked to use this address for your account. To confirm that it is yours, open this link:\n\n${url}\n\nThe link works once and expires in ${hours} hours. If you did not ask for this, ignore this message: nothing changes without the link.\n`,
    noticeSubject: "Your e-mail address is being changed",
    notice: (name) =>
      `Hello ${name},\n\nSomeone asked to change the e-mail address of your account. The change takes effect only when the link sent to the new address is used.\nIf this was not you or your support team, reply to your support team at once.\n`,
  },
  ja: {
    confirmSubject: "新しいメールアドレスの確認",
    confirm: (name, url, hours) =>
      `${name} 様\n\nこのアドレスをお客様のアカウントに使用するよう依頼がありました。ご自身のアドレスであることを確認するには、次のリンクを開いてください。\n\n${url}\n\nこのリンクは一度だけ使用でき、${hours} 時間で有効期限が切れます。お心当たりがない場合は、このメールを無視してください。リンクがなければ何も変更されません。\n`,
    noticeSubject: "メールアドレスの変更について",
    notice: (name) =>
      `${name} 様\n\nお客様のアカウントのメールアドレスを変更する依頼がありました。新しいアドレスに送られたリンクが使用されたときにのみ変更されます。\nお心当たりがない場合は、すぐにサポートチームにご連絡ください。\n`,
  },
  ko: {
    confirmSubject: "새 이메일 주소 확인",
    confirm: (name, url, hours) =>
      `${name}님, 안녕하세요.\n\n이 주소를 계정에 사용하도록 요청되었습니다. 본인의 주소임을 확인하려면 다음 링크를 여세요.\n\n${url}\n\n이 링크는 한 번만 사용할 수 있으며 ${hours}시간 후에 만료됩니다. 요청하지 않으셨다면 이 메일을 무시하세요. 링크 없이는 아무것도 변경되지 않습니다.\n`,
    noticeSubject: "이메일 주소 변경 안내",
    notice: (name) =>
      `${name}님, 안녕하세요.\n\n계정의 이메일 주소를 변경하라는 요청이 있었습니다. 새 주소로 보낸 링크를 사용해야만 변경됩니다.\n본인이 요청하지 않았다면 즉시 지원팀에 알려 주세요.\n`,
  },
  "zh-CN": {
    confirmSubject: "确认您的新电子邮件地址",
    confirm: (name, url, hours) =>
      `${name}，您好：\n\n有人请求将此地址用于您的账户。要确认这是您的地址，请打开以下链接：\n\n${url}\n\n该链接只能使用一次，将在 ${hours} 小时后失效。如果您没有提出此请求，请忽略本邮件：没有此链接，任何内容都不会更改。\n`,
    noticeSubject: "您的电子邮件地址正在更改",
    notice: (name) =>
      `${name}，您好：\n\n有人请求更改您账户的电子邮件地址。只有在使用发送到新地址的链接后，更改才会生效。\n如果这不是您或您的支持团队所为，请立即联系您的支持团队。\n`,
  },
  sv: {
    confirmSubject: "Bekräfta din nya e-postadress",
    confirm: (name, url, hours) =>
      `Hej ${name}!\n\nNågon har bett om att använda den här adressen för ditt konto. Öppna länken för att bekräfta att den är din:\n\n${url}\n\nLänken fungerar en gång och slutar gälla om ${hours} timmar. Om du inte har bett om detta kan du bortse från meddelandet: inget ändras utan länken.\n`,
    noticeSubject: "Din e-postadress håller på att ändras",
    notice: (name) =>
      `Hej ${name}!\n\nNågon har bett om att ändra e-postadressen för ditt konto. Ändringen gäller först när länken som skickades till den nya adressen används.\nOm det inte var du eller ditt supportteam, kontakta ditt supportteam genast.\n`,
  },
};

export function emailChangeMail(locale: string | null | undefined, name: string, url: string, hours: number) {
  const language = mailLanguage(locale, Object.keys(texts));
  const t = texts[language]!;
  return { language, subject: t.confirmSubject, text: t.confirm(name, url, hours) };
}

export function emailChangeNoticeMail(locale: string | null | undefined, name: string) {
  const language = mailLanguage(locale, Object.keys(texts));
  const t = texts[language]!;
  return { language, subject: t.noticeSubject, text: t.notice(name) };
}
