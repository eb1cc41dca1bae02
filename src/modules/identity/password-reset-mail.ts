import { mailLanguage } from "../../platform/mail-language.ts";

/**
 * The e-mails of a password reset, in the languages the help center speaks: the link, and the
 * notice that the password was changed. Plain text only: the link is the message, and plain text
 * carries no tracking or markup.
 */

type Texts = {
  linkSubject: (team: string) => string;
  link: (team: string, url: string, minutes: number) => string;
  changedSubject: (team: string) => string;
  changed: (team: string) => string;
  setByAdminSubject: (team: string) => string;
  setByAdmin: (team: string) => string;
  twoFactorResetSubject: (team: string) => string;
  twoFactorReset: (team: string) => string;
  lockedSubject: (team: string) => string;
  locked: (team: string, attempts: number, minutes: number) => string;
};

const texts: Record<string, Texts> = {
  en: {
    linkSubject: (team) => `Reset your password for ${team}`,
    link: (team, url, minutes) =>
      `Hello,\n\nSomeone asked to reset the password of your account at ${team}. To choose a new password, open this link:\n\n${url}\n\nThe link works once and expires in ${minutes} minutes; asking again sends a new link and ends this one.\nIf you did not ask for it, ignore this message: your password stays as it is.\n`,
    changedSubject: (team) => `Your password for ${team} was changed`,
    changed: (team) =>
      `Hello,\n\nThe password of your account at ${team} was just changed through a reset link sent to this address, and every session signed in to your account was ended.\nIf this was not you, ask for a new reset link at once and tell your support team.\n`,
    lockedSubject: (team) => `Your account at ${team} is locked for now`,
    locked: (team, attempts, minutes) =>
      `Hello,\n\nAfter ${attempts} wrong passwords in a row, password sign-in to your account at ${team} is locked for ${minutes} minute${minutes === 1 ? "" : "s"}.\nIf it was you, wait and try again, or reset your password. If it was not you, someone is guessing your password: reset it and tell your support team.\n`,
    setByAdminSubject: (team) => `An admin set a new password for your account at ${team}`,
    setByAdmin: (team) =>
      `Hello,\n\nAn admin of ${team} set a new password for your account, and every session signed in to your account was ended. When you next sign in with it, you will be asked to choose your own.\nIf you did not expect this, tell your support team.\n`,
    twoFactorResetSubject: (team) => `Two-factor authentication was reset on your ${team} account`,
    twoFactorReset: (team) =>
      `Hello,\n\nAn administrator of ${team} has just reset the two-factor authentication of your account: your authenticator app, recovery codes and passkeys no longer work, and every session signed in to your account was ended.\nSign in with your password and set up two-factor authentication again.\nIf you did not ask for this, tell your administrator at once.\n`,
  },
  ja: {
    linkSubject: (team) => `${team} のパスワードの再設定`,
    link: (team, url, minutes) =>
      `こんにちは。\n\n${team} のアカウントのパスワード再設定が依頼されました。新しいパスワードを設定するには、次のリンクを開いてください。\n\n${url}\n\nこのリンクは一度だけ使用でき、${minutes} 分で有効期限が切れます。再度依頼すると新しいリンクが送られ、このリンクは使えなくなります。\nお心当たりがない場合は、このメールを無視してください。パスワードは変更されません。\n`,
    changedSubject: (team) => `${team} のパスワードが変更されました`,
    changed: (team) =>
      `こんにちは。\n\nこのアドレスに送られた再設定リンクにより、${team} のアカウントのパスワードが変更され、サインイン中のすべてのセッションが終了しました。\nお心当たりがない場合は、すぐに新しい再設定リンクを依頼し、サポートチームにご連絡ください。\n`,
    lockedSubject: (team) => `${team} のアカウントが一時的にロックされました`,
    locked: (team, attempts, minutes) =>
      `こんにちは。\n\n${attempts} 回続けてパスワードが間違っていたため、${team} のアカウントへのパスワードでのサインインが ${minutes} 分間ロックされました。\nご本人の場合は、しばらく待ってから再度お試しいただくか、パスワードを再設定してください。お心当たりがない場合は、誰かがパスワードを推測しようとしています。パスワードを再設定し、サポートチームにご連絡ください。\n`,
    setByAdminSubject: (team) => `${team} の管理者がアカウントの新しいパスワードを設定しました`,
    setByAdmin: (team) =>
      `こんにちは。\n\n${team} の管理者があなたのアカウントに新しいパスワードを設定し、サインイン中のすべてのセッションが終了しました。次にそのパスワードでサインインすると、ご自身のパスワードを設定するよう求められます。\nお心当たりがない場合は、サポートチームにご連絡ください。\n`,
    twoFactorResetSubject: (team) => `${team} のアカウントの 2 段階認証がリセットされました`,
    twoFactorReset: (team) =>
      `こんにちは。\n\n${team} の管理者があなたのアカウントの 2 段階認証をリセットしました。認証アプリ、リカバリーコード、パスキーは使えなくなり、サインイン中のすべてのセッションが終了しました。\nパスワードでサインインし、2 段階認証を設定し直してください。\nお心当たりがない場合は、すぐに管理者にご連絡ください。\n`,
  },
  ko: {
    linkSubject: (team) => `${team} 비밀번호 재설정`,
    link: (team, url, minutes) =>
      `안녕하세요.\n\n${team} 계정의 비밀번호 재설정이 요청되었습니다. 새 비밀번호를 정하려면 아래 링크를 여세요.\n\n${url}\n\n이 링크는 한 번만 사용할 수 있으며 ${minutes}분 후에 만료됩니다. 다시 요청하면 새 링크가 발송되고 이 링크는 더 이상 쓸 수 없습니다.\n요청하지 않으셨다면 이 메일을 무시하세요. 비밀번호는 바뀌지 않습니다.\n`,
    changedSubject: (team) => `${team} 비밀번호가 변경되었습니다`,
    changed: (team) =>
      `안녕하세요.\n\n이 주소로 보낸 재설정 링크를 통해 ${team} 계정의 비밀번호가 변경되었고, 로그인되어 있던 모든 세션이 종료되었습니다.\n본인이 아니라면 즉시 새 재설정 링크를 요청하고 지원팀에 알려 주세요.\n`,
    lockedSubject: (team) => `${team} 계정이 일시적으로 잠겼습니다`,
    locked: (team, attempts, minutes) =>
      `안녕하세요.\n\n비밀번호가 ${attempts}번 연속으로 틀려 ${team} 계정의 비밀번호 로그인이 ${minutes}분 동안 잠겼습니다.\n본인이라면 잠시 후 다시 시도하거나 비밀번호를 재설정하세요. 본인이 아니라면 누군가 비밀번호를 추측하고 있는 것입니다. 비밀번호를 재설정하고 지원팀에 알려 주세요.\n`,
    setByAdminSubject: (team) => `${team} 관리자가 계정의 새 비밀번호를 설정했습니다`,
    setByAdmin: (team) =>
      `안녕하세요.\n\n${team} 관리자가 계정의 새 비밀번호를 설정했고, 로그인되어 있던 모든 세션이 종료되었습니다. 그 비밀번호로 다음에 로그인하면 직접 비밀번호를 정하라는 안내가 나옵니다.\n예상하지 못한 일이라면 지원팀에 알려 주세요.\n`,
    twoFactorResetSubject: (team) => `${team} 계정의 2단계 인증이 초기화되었습니다`,
    twoFactorReset: (team) =>
      `안녕하세요.\n\n${team} 관리자가 계정의 2단계 인증을 초기화했습니다. 인증 앱, 복구 코드, 패스키는 더 이상 쓸 수 없고, 로그인되어 있던 모든 세션이 종료되었습니다.\n비밀번호로 로그인한 뒤 2단계 인증을 다시 설정하세요.\n요청하지 않으셨다면 즉시 관리자에게 알려 주세요.\n`,
  },
  "zh-CN": {
    linkSubject: (team) => `重置您在 ${team} 的密码`,
    link: (team, url, minutes) =>
      `您好：\n\n有人请求重置您在 ${team} 的账户密码。要设置新密码，请打开以下链接：\n\n${url}\n\n该链接只能使用一次，将在 ${minutes} 分钟后失效；再次请求会发送新链接，并使此链接失效。\n如果您没有请求重置，请忽略本邮件：您的密码不会改变。\n`,
    changedSubject: (team) => `您在 ${team} 的密码已更改`,
    changed: (team) =>
      `您好：\n\n您在 ${team} 的账户密码刚刚通过发送到此地址的重置链接被更改，所有已登录的会话均已结束。\n如果这不是您本人操作，请立即请求新的重置链接并告知支持团队。\n`,
    lockedSubject: (team) => `您在 ${team} 的账户已被暂时锁定`,
    locked: (team, attempts, minutes) =>
      `您好：\n\n由于连续 ${attempts} 次输入错误的密码，您在 ${team} 的账户的密码登录已被锁定 ${minutes} 分钟。\n如果是您本人，请稍后再试或重置密码。如果不是您本人，说明有人在猜测您的密码：请重置密码并告知支持团队。\n`,
    setByAdminSubject: (team) => `${team} 的管理员为您的账户设置了新密码`,
    setByAdmin: (team) =>
      `您好：\n\n${team} 的管理员为您的账户设置了新密码，所有已登录的会话均已结束。下次使用该密码登录时，系统会要求您设置自己的密码。\n如果这出乎您的意料，请告知支持团队。\n`,
    twoFactorResetSubject: (team) => `您在 ${team} 的账户的双重验证已被重置`,
    twoFactorReset: (team) =>
      `您好：\n\n${team} 的管理员刚刚重置了您账户的双重验证：您的验证器应用、恢复码和通行密钥已失效，所有已登录的会话均已结束。\n请使用密码登录，然后重新设置双重验证。\n如果这不是您请求的，请立即告知管理员。\n`,
  },
  sv: {
    linkSubject: (team) => `Återställ ditt lösenord till ${team}`,
    link: (team, url, minutes) =>
      `Hej!\n\nNågon har bett om att återställa lösenordet till ditt konto hos ${team}. Öppna den här länken för att välja ett nytt lösenord:\n\n${url}\n\nLänken fungerar en gång och slutar gälla om ${minutes} minuter; ber du om en ny länk slutar den här att gälla.\nOm du inte har bett om den kan du bortse från meddelandet: ditt lösenord förblir som det är.\n`,
    changedSubject: (team) => `Ditt lösenord till ${team} har ändrats`,
    changed: (team) =>
      `Hej!\n\nLösenordet till ditt konto hos ${team} har just ändrats via en återställningslänk som skickades till den här adressen, och alla inloggade sessioner har avslutats.\nOm det inte var du: be genast om en ny återställningslänk och kontakta supportteamet.\n`,
    lockedSubject: (team) => `Ditt konto hos ${team} är låst en stund`,
    locked: (team, attempts, minutes) =>
      `Hej!\n\nEfter ${attempts} felaktiga lösenord i rad är inloggning med lösenord till ditt konto hos ${team} låst i ${minutes} minuter.\nOm det var du: vänta och försök igen, eller återställ ditt lösenord. Om det inte var du försöker någon gissa ditt lösenord: återställ det och kontakta supportteamet.\n`,
    setByAdminSubject: (team) => `En administratör har satt ett nytt lösenord till ditt konto hos ${team}`,
    setByAdmin: (team) =>
      `Hej!\n\nEn administratör hos ${team} har satt ett nytt lösenord till ditt konto, och alla inloggade sessioner har avslutats. När du loggar in med det nästa gång får du välja ett eget.\nOm du inte väntade dig detta, kontakta supportteamet.\n`,
    twoFactorResetSubject: (team) => `Tvåstegsverifieringen för ditt konto hos ${team} har återställts`,
    twoFactorReset: (team) =>
      `Hej!\n\nEn administratör hos ${team} har just återställt tvåstegsverifieringen för ditt konto: din autentiseringsapp, dina återställningskoder och dina nycklar (passkeys) fungerar inte längre, och alla inloggade sessioner har avslutats.\nLogga in med ditt lösenord och ställ in tvåstegsverifiering igen.\nOm du inte har bett om detta, kontakta din administratör genast.\n`,
  },
};

const textsFor = (locale: string | null | undefined) => {
  const language = mailLanguage(locale, Object.keys(texts));
  return { language, t: texts[language]! };
};

export function passwordResetMail(locale: string | null | undefined, team: string, url: string, minutes: number) {
  const { language, t } = textsFor(locale);
  return { language, subject: t.linkSubject(team), text: t.link(team, url, minutes) };
}

export function passwordChangedMail(locale: string | null | undefined, team: string) {
  const { language, t } = textsFor(locale);
  return { language, subject: t.changedSubject(team), text: t.changed(team) };
}

export function accountLockedMail(locale: string | null | undefined, team: string, attempts: number, minutes: number) {
  const { language, t } = textsFor(locale);
  return { language, subject: t.lockedSubject(team), text: t.locked(team, attempts, minutes) };
}

export function passwordSetByAdminMail(locale: string | null | undefined, team: string) {
  const { language, t } = textsFor(locale);
  return { language, subject: t.setByAdminSubject(team), text: t.setByAdmin(team) };
}

export function twoFactorResetMail(locale: string | null | undefined, team: string) {
  const { language, t } = textsFor(locale);
  return { language, subject: t.twoFactorResetSubject(team), text: t.twoFactorReset(team) };
}
