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
  takenSubject: string;
  taken: (name: string) => string;
};

const texts: Record<string, Texts> = {
  en: {
    confirmSubject: "Confirm your new e-mail address",
    confirm: (name, url, hours) =>
      `Hello ${name},\n\nSomeone asked to use this address for your account. To confirm that it is yours, open this link:\n\n${url}\n\nThe link works once and expires in ${hours} hours. If you did not ask for this, ignore this message: nothing changes without the link.\n`,
    noticeSubject: "Your e-mail address is being changed",
    notice: (name) =>
      `Hello ${name},\n\nSomeone asked to change the e-mail address of your account. The change takes effect only when the link sent to the new address is used.\nIf this was not you or your support team, reply to your support team at once.\n`,
    takenSubject: "Someone tried to use your e-mail address",
    taken: (name) =>
      `Hello ${name},\n\nSomeone asked to use this address for another account on this help center. It already belongs to your account, so nothing was changed and nothing needs doing.\nIf you expected this (you have a second account, for instance), ask your support team to merge them.\n`,
  },
  ja: {
    confirmSubject: "新しいメールアドレスの確認",
    confirm: (name, url, hours) =>
      `${name} 様\n\nこのアドレスをお客様のアカウントに使用するよう依頼がありました。ご自身のアドレスであることを確認するには、次のリンクを開いてください。\n\n${url}\n\nこのリンクは一度だけ使用でき、${hours} 時間で有効期限が切れます。お心当たりがない場合は、このメールを無視してください。リンクがなければ何も変更されません。\n`,
    noticeSubject: "メールアドレスの変更について",
    notice: (name) =>
      `${name} 様\n\nお客様のアカウントのメールアドレスを変更する依頼がありました。新しいアドレスに送られたリンクが使用されたときにのみ変更されます。\nお心当たりがない場合は、すぐにサポートチームにご連絡ください。\n`,
    takenSubject: "お客様のメールアドレスの使用が試みられました",
    taken: (name) =>
      `${name} 様\n\nこのヘルプセンターの別のアカウントで、このアドレスを使用する依頼がありました。このアドレスはすでにお客様のアカウントのものであるため、何も変更されていません。対応は不要です。\nお心当たりがある場合（別のアカウントをお持ちの場合など）は、サポートチームにアカウントの統合をご依頼ください。\n`,
  },
  ko: {
    confirmSubject: "새 이메일 주소 확인",
    confirm: (name, url, hours) =>
      `${name}님, 안녕하세요.\n\n이 주소를 계정에 사용하도록 요청되었습니다. 본인의 주소임을 확인하려면 다음 링크를 여세요.\n\n${url}\n\n이 링크는 한 번만 사용할 수 있으며 ${hours}시간 후에 만료됩니다. 요청하지 않으셨다면 이 메일을 무시하세요. 링크 없이는 아무것도 변경되지 않습니다.\n`,
    noticeSubject: "이메일 주소 변경 안내",
    notice: (name) =>
      `${name}님, 안녕하세요.\n\n계정의 이메일 주소를 변경하라는 요청이 있었습니다. 새 주소로 보낸 링크를 사용해야만 변경됩니다.\n본인이 요청하지 않았다면 즉시 지원팀에 알려 주세요.\n`,
    takenSubject: "누군가 회원님의 이메일 주소를 사용하려고 했습니다",
    taken: (name) =>
      `${name}님, 안녕하세요.\n\n이 헬프 센터의 다른 계정에서 이 주소를 사용하도록 요청했습니다. 이 주소는 이미 회원님의 계정에 속해 있으므로 아무것도 변경되지 않았으며 따로 하실 일은 없습니다.\n예상하신 일이라면(예: 두 번째 계정이 있는 경우) 지원팀에 계정 병합을 요청하세요.\n`,
  },
  "zh-CN": {
    confirmSubject: "确认您的新电子邮件地址",
    confirm: (name, url, hours) =>
      `${name}，您好：\n\n有人请求将此地址用于您的账户。要确认这是您的地址，请打开以下链接：\n\n${url}\n\n该链接只能使用一次，将在 ${hours} 小时后失效。如果您没有提出此请求，请忽略本邮件：没有此链接，任何内容都不会更改。\n`,
    noticeSubject: "您的电子邮件地址正在更改",
    notice: (name) =>
      `${name}，您好：\n\n有人请求更改您账户的电子邮件地址。只有在使用发送到新地址的链接后，更改才会生效。\n如果这不是您或您的支持团队所为，请立即联系您的支持团队。\n`,
    takenSubject: "有人尝试使用您的电子邮件地址",
    taken: (name) =>
      `${name}，您好：\n\n有人请求在此帮助中心的另一个账户中使用此地址。该地址已属于您的账户，因此没有任何更改，您无需执行任何操作。\n如果这在您的预料之中（例如您有第二个账户），请让您的支持团队合并这两个账户。\n`,
  },
  sv: {
    confirmSubject: "Bekräfta din nya e-postadress",
    confirm: (name, url, hours) =>
      `Hej ${name}!\n\nNågon har bett om att använda den här adressen för ditt konto. Öppna länken för att bekräfta att den är din:\n\n${url}\n\nLänken fungerar en gång och slutar gälla om ${hours} timmar. Om du inte har bett om detta kan du bortse från meddelandet: inget ändras utan länken.\n`,
    noticeSubject: "Din e-postadress håller på att ändras",
    notice: (name) =>
      `Hej ${name}!\n\nNågon har bett om att ändra e-postadressen för ditt konto. Ändringen gäller först när länken som skickades till den nya adressen används.\nOm det inte var du eller ditt supportteam, kontakta ditt supportteam genast.\n`,
    takenSubject: "Någon försökte använda din e-postadress",
    taken: (name) =>
      `Hej ${name}!\n\nNågon har bett om att använda den här adressen för ett annat konto i hjälpcentret. Den tillhör redan ditt konto, så inget har ändrats och du behöver inte göra något.\nOm du väntade dig detta (om du till exempel har ett andra konto) kan du be ditt supportteam att slå ihop dem.\n`,
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

export function emailTakenMail(locale: string | null | undefined, name: string) {
  const language = mailLanguage(locale, Object.keys(texts));
  const t = texts[language]!;
  return { language, subject: t.takenSubject, text: t.taken(name) };
}
