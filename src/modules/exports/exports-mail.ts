import { mailLanguage } from "../../platform/mail-language.ts";

/**
 * The e-mail telling the person who asked for an export that it is ready, in the languages the
 * help center speaks. Content-free: no name, no data, only where to download it (a page of the
 * tenant's, from configuration) and until when. Plain text; the time is UTC.
 */
type Texts = { subject: (team: string) => string; text: (team: string, link: string, until: string) => string };

const texts: Record<string, Texts> = {
  en: {
    subject: (team) => `Your data export from ${team} is ready`,
    text: (team, link, until) => `Hello,\n\nThe data export you asked for at ${team} is ready. Sign in and download it here:\n\n  ${link}\n\nIt can be downloaded once, until ${until}. After that it is deleted; you can ask for a new one.\n`,
  },
  sv: {
    subject: (team) => `Din dataexport från ${team} är klar`,
    text: (team, link, until) => `Hej!\n\nDataexporten du bad om hos ${team} är klar. Logga in och ladda ner den här:\n\n  ${link}\n\nDen kan laddas ner en gång, fram till ${until}. Därefter raderas den; du kan be om en ny.\n`,
  },
  ko: {
    subject: (team) => `${team}의 데이터 내보내기가 준비되었습니다`,
    text: (team, link, until) => `안녕하세요.\n\n${team}에 요청하신 데이터 내보내기가 준비되었습니다. 로그인한 뒤 여기에서 내려받으세요.\n\n  ${link}\n\n${until}까지 한 번만 내려받을 수 있으며, 그 후에는 삭제됩니다. 새로 요청할 수 있습니다.\n`,
  },
  ja: {
    subject: (team) => `${team} のデータエクスポートの準備ができました`,
    text: (team, link, until) => `こんにちは。\n\n${team} でご依頼のデータエクスポートの準備ができました。サインインして、こちらからダウンロードしてください。\n\n  ${link}\n\nダウンロードは ${until} まで、1 回だけできます。その後は削除されます。あらためて依頼することもできます。\n`,
  },
  "zh-CN": {
    subject: (team) => `您在 ${team} 的数据导出已准备好`,
    text: (team, link, until) => `您好：\n\n您在 ${team} 请求的数据导出已准备好。请登录后在此下载：\n\n  ${link}\n\n它只能下载一次，截止到 ${until}。之后将被删除；您可以重新请求。\n`,
  },
};

export function exportReadyMail(locale: string | null | undefined, team: string, link: string, until: Date) {
  const language = mailLanguage(locale, Object.keys(texts));
  const t = texts[language]!;
  const when = `${until.toISOString().slice(0, 16).replace("T", " ")} UTC`;
  return { language, subject: t.subject(team), text: t.text(team, link, when) };
}
