import { mailLanguage } from "../../platform/mail-language.ts";

/**
 * The e-mail telling a person their account was signed in to from a device not seen before, in
 * the languages the help center speaks. Plain text; the time is UTC, the browser and OS are the
 * names parsed from the User-Agent header (no address: the mail may be read anywhere).
 */
type Texts = { subject: (team: string) => string; text: (team: string, device: string, when: string) => string; unknown: string };

const texts: Record<string, Texts> = {
  en: {
    subject: (team) => `New sign-in to your account at ${team}`,
    text: (team, device, when) =>
      `Hello,\n\nYour account at ${team} was just signed in to from a device we have not seen before:\n\n  Device: ${device}\n  Time: ${when}\n\nIf this was you, there is nothing to do.\nIf it wasn't you, change your password at once (this ends every other session) and tell your administrator or support team.\n`,
    unknown: "an unknown browser",
  },
  sv: {
    subject: (team) => `Ny inloggning på ditt konto hos ${team}`,
    text: (team, device, when) =>
      `Hej!\n\nNågon loggade just in på ditt konto hos ${team} från en enhet vi inte har sett tidigare:\n\n  Enhet: ${device}\n  Tid: ${when}\n\nOm det var du behöver du inte göra något.\nOm det inte var du: byt lösenord genast (då avslutas alla andra sessioner) och kontakta din administratör eller supportteamet.\n`,
    unknown: "en okänd webbläsare",
  },
  ko: {
    subject: (team) => `${team} 계정에 새 로그인이 있습니다`,
    text: (team, device, when) =>
      `안녕하세요.\n\n이전에 본 적 없는 기기에서 ${team} 계정에 방금 로그인했습니다.\n\n  기기: ${device}\n  시간: ${when}\n\n본인이라면 아무것도 하지 않으셔도 됩니다.\n본인이 아니라면 즉시 비밀번호를 변경하고(다른 모든 세션이 종료됩니다) 관리자나 지원팀에 알려 주세요.\n`,
    unknown: "알 수 없는 브라우저",
  },
  ja: {
    subject: (team) => `${team} のアカウントへの新しいサインイン`,
    text: (team, device, when) =>
      `こんにちは。\n\n${team} のアカウントに、これまでに使われたことのないデバイスからサインインがありました。\n\n  デバイス: ${device}\n  日時: ${when}\n\nご本人であれば、何もする必要はありません。\nお心当たりがない場合は、すぐにパスワードを変更し（他のすべてのセッションが終了します）、管理者またはサポートチームにご連絡ください。\n`,
    unknown: "不明なブラウザ",
  },
  "zh-CN": {
    subject: (team) => `您在 ${team} 的账户有新的登录`,
    text: (team, device, when) =>
      `您好：\n\n您在 ${team} 的账户刚刚从一台以前未见过的设备登录：\n\n  设备：${device}\n  时间：${when}\n\n如果是您本人，无需任何操作。\n如果不是您本人，请立即更改密码（这将结束所有其他会话），并告知您的管理员或支持团队。\n`,
    unknown: "未知浏览器",
  },
};

export function newDeviceMail(locale: string | null | undefined, team: string, device: { browser: string | null; os: string | null }, at: Date) {
  const language = mailLanguage(locale, Object.keys(texts));
  const t = texts[language]!;
  const name = [device.browser, device.os].filter(Boolean).join(", ") || t.unknown;
  const when = `${at.toISOString().slice(0, 16).replace("T", " ")} UTC`;
  return { language, subject: t.subject(team), text: t.text(team, name, when) };
}
