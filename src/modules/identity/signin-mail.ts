import { mailLanguage } from "../../platform/mail-language.ts";

/**
 * The sign-in e-mail, in the languages the help center speaks. Plain text only: the link is the
 * message, and plain text cannot carry tracking or markup from anywhere.
 */

type Texts = { subject: (team: string) => string; body: (team: string, url: string, minutes: number) => string };

const texts: Record<string, Texts> = {
  en: {
    subject: (team) => `Your sign-in link for ${team}`,
    body: (team, url, minutes) =>
      `Hello,\n\nUse this link to sign in to the ${team} help center:\n\n${url}\n\nThe link works once and expires in ${minutes} minutes.\nIf you did not ask for it, ignore this message: nobody can sign in without the link.\n`,
  },
  ja: {
    subject: (team) => `${team} のサインインリンク`,
    body: (team, url, minutes) =>
      `こんにちは。\n\n次のリンクから ${team} のヘルプセンターにサインインしてください。\n\n${url}\n\nこのリンクは一度だけ使用でき、${minutes} 分で有効期限が切れます。\nお心当たりがない場合は、このメールを無視してください。リンクがなければ誰もサインインできません。\n`,
  },
  ko: {
    subject: (team) => `${team} 로그인 링크`,
    body: (team, url, minutes) =>
      `안녕하세요.\n\n아래 링크로 ${team} 고객센터에 로그인하세요.\n\n${url}\n\n이 링크는 한 번만 사용할 수 있으며 ${minutes}분 후에 만료됩니다.\n요청하지 않으셨다면 이 메일을 무시하세요. 링크 없이는 아무도 로그인할 수 없습니다.\n`,
  },
  "zh-CN": {
    subject: (team) => `您的 ${team} 登录链接`,
    body: (team, url, minutes) =>
      `您好：\n\n请使用以下链接登录 ${team} 帮助中心：\n\n${url}\n\n该链接只能使用一次，将在 ${minutes} 分钟后失效。\n如果您没有请求此链接，请忽略本邮件：没有此链接，任何人都无法登录。\n`,
  },
  sv: {
    subject: (team) => `Din inloggningslänk till ${team}`,
    body: (team, url, minutes) =>
      `Hej!\n\nAnvänd den här länken för att logga in i hjälpcentret för ${team}:\n\n${url}\n\nLänken fungerar en gång och slutar gälla om ${minutes} minuter.\nOm du inte har bett om den kan du bortse från meddelandet: ingen kan logga in utan länken.\n`,
  },
};


export function signinMail(locale: string | null | undefined, team: string, url: string, minutes: number) {
  const language = mailLanguage(locale, Object.keys(texts));
  const t = texts[language]!;
  return { language, subject: t.subject(team), text: t.body(team, url, minutes) };
}
