import Negotiator from "negotiator";

/**
 * The page a browser gets when a sign-in flow under /access (or OAuth's authorization endpoint)
 * is refused, in the browser's language (Accept-Language, negotiated with `negotiator`; English
 * when none of the five is asked for). What went wrong is said by kind, from the refusal's reason
 * code, in that language; the server's own sentence follows in English for an admin, with the
 * code. Nothing the request carried is written into the page.
 */

export const PAGE_LOCALES = ["en", "ja", "ko", "zh-CN", "sv"] as const;
export type PageLocale = (typeof PAGE_LOCALES)[number];

type Kind = "not_set_up" | "start_again" | "provider_down" | "provider_said_no" | "no_address" | "no_account" | "network" | "answer_refused" | "other";

/** Which kind of refusal each reason code is (OpenID Connect and JWT, SAML, the last step shared by all). */
const KIND_OF: Record<string, Kind> = {
  not_configured: "not_set_up",
  saml_not_configured: "not_set_up",
  provider_off: "not_set_up",
  provider_changed: "start_again",
  invalid_state: "start_again",
  expired: "start_again",
  stale: "start_again",
  replayed: "start_again",
  saml_expired: "start_again",
  saml_unknown_request: "start_again",
  saml_replayed: "start_again",
  saml_other_browser: "start_again",
  saml_unsolicited: "start_again",
  provider_unreachable: "provider_down",
  provider_misconfigured: "provider_down",
  provider_error: "provider_said_no",
  saml_idp_error: "provider_said_no",
  email_missing: "no_address",
  email_unverified: "no_address",
  saml_no_email: "no_address",
  saml_no_subject: "no_address",
  bad_identity: "no_address",
  unproven_address: "no_address",
  not_provisioned: "no_account",
  wrong_group: "no_account",
  unavailable: "no_account",
  other_subject: "no_account",
  ip_restriction: "network",
  too_long: "answer_refused",
  code_rejected: "answer_refused",
  id_token_rejected: "answer_refused",
  invalid_token: "answer_refused",
  saml_malformed: "answer_refused",
  saml_forbidden_xml: "answer_refused",
  saml_signature: "answer_refused",
  saml_multiple_assertions: "answer_refused",
  saml_issuer: "answer_refused",
  saml_audience: "answer_refused",
  saml_recipient: "answer_refused",
  saml_destination: "answer_refused",
  saml_not_yet_valid: "answer_refused",
};

type Texts = { signIn: string; authorization: string; staff: string; helpCenter: string; reason: string; details: string; kinds: Record<Kind, string> };

const TEXTS: Record<PageLocale, Texts> = {
  en: {
    signIn: "Sign-in did not work",
    authorization: "Authorization did not work",
    staff: "Staff sign-in",
    helpCenter: "Help center sign-in",
    reason: "Reason code",
    details: "Details",
    kinds: {
      not_set_up: "Single sign-on is not set up for this account.",
      start_again: "This sign-in has expired, was already used or was started elsewhere. Start again from the sign-in page.",
      provider_down: "The identity provider could not be reached or is not set up as expected. Try again shortly; if it goes on, tell your administrator.",
      provider_said_no: "The identity provider did not sign you in.",
      no_address: "The identity provider did not give a usable, verified e-mail address for you, or your address here is not confirmed yet. Ask your administrator.",
      no_account: "You cannot sign in here this way. Ask your administrator.",
      network: "Signing in is not allowed from your network.",
      answer_refused: "The identity provider's answer was refused. If this goes on, give your administrator the reason code below.",
      other: "The request could not be completed.",
    },
  },
  ja: {
    signIn: "サインインできませんでした",
    authorization: "認可できませんでした",
    staff: "スタッフのサインイン",
    helpCenter: "ヘルプセンターのサインイン",
    reason: "理由コード",
    details: "詳細（英語）",
    kinds: {
      not_set_up: "このアカウントではシングルサインオンが設定されていません。",
      start_again: "このサインインは期限切れか、使用済みか、別の場所で開始されたものです。サインインページからやり直してください。",
      provider_down: "ID プロバイダーに接続できないか、想定どおりに設定されていません。しばらくしてからもう一度お試しください。解決しない場合は管理者に連絡してください。",
      provider_said_no: "ID プロバイダーでサインインが完了しませんでした。",
      no_address: "ID プロバイダーから利用可能で確認済みのメールアドレスが提供されなかったか、こちらでのアドレスがまだ確認されていません。管理者にお問い合わせください。",
      no_account: "この方法ではここにサインインできません。管理者にお問い合わせください。",
      network: "お使いのネットワークからのサインインは許可されていません。",
      answer_refused: "ID プロバイダーからの応答は拒否されました。繰り返し発生する場合は、下の理由コードを管理者に伝えてください。",
      other: "リクエストを完了できませんでした。",
    },
  },
  ko: {
    signIn: "로그인하지 못했습니다",
    authorization: "권한을 부여하지 못했습니다",
    staff: "직원 로그인",
    helpCenter: "헬프 센터 로그인",
    reason: "사유 코드",
    details: "자세한 내용(영어)",
    kinds: {
      not_set_up: "이 계정에는 싱글 사인온이 설정되어 있지 않습니다.",
      start_again: "이 로그인은 만료되었거나 이미 사용되었거나 다른 곳에서 시작되었습니다. 로그인 페이지에서 다시 시작하세요.",
      provider_down: "ID 공급자에 연결할 수 없거나 예상대로 설정되어 있지 않습니다. 잠시 후 다시 시도하세요. 계속되면 관리자에게 알리세요.",
      provider_said_no: "ID 공급자가 로그인을 완료하지 않았습니다.",
      no_address: "ID 공급자가 사용 가능하고 확인된 이메일 주소를 제공하지 않았거나, 이곳의 주소가 아직 확인되지 않았습니다. 관리자에게 문의하세요.",
      no_account: "이 방법으로는 여기에 로그인할 수 없습니다. 관리자에게 문의하세요.",
      network: "현재 네트워크에서는 로그인할 수 없습니다.",
      answer_refused: "ID 공급자의 응답이 거부되었습니다. 계속되면 아래 사유 코드를 관리자에게 알리세요.",
      other: "요청을 완료할 수 없습니다.",
    },
  },
  "zh-CN": {
    signIn: "登录未成功",
    authorization: "授权未成功",
    staff: "员工登录",
    helpCenter: "帮助中心登录",
    reason: "原因代码",
    details: "详细信息（英文）",
    kinds: {
      not_set_up: "此帐户未设置单点登录。",
      start_again: "此登录已过期、已被使用或在其他地方发起。请从登录页面重新开始。",
      provider_down: "无法连接身份提供商，或其设置与预期不符。请稍后重试；如果问题持续，请告知管理员。",
      provider_said_no: "身份提供商未让您登录。",
      no_address: "身份提供商未提供可用且已验证的电子邮件地址，或您在此处的地址尚未确认。请联系管理员。",
      no_account: "您无法通过此方式在此登录。请联系管理员。",
      network: "不允许从您的网络登录。",
      answer_refused: "身份提供商的响应被拒绝。如果问题持续，请将下面的原因代码告知管理员。",
      other: "无法完成该请求。",
    },
  },
  sv: {
    signIn: "Inloggningen misslyckades",
    authorization: "Auktoriseringen misslyckades",
    staff: "Inloggning för personal",
    helpCenter: "Inloggning till hjälpcentret",
    reason: "Orsakskod",
    details: "Detaljer (på engelska)",
    kinds: {
      not_set_up: "Enkel inloggning är inte konfigurerad för det här kontot.",
      start_again: "Inloggningen har gått ut, har redan använts eller startades någon annanstans. Börja om från inloggningssidan.",
      provider_down: "Identitetsleverantören gick inte att nå eller är inte konfigurerad som väntat. Försök igen om en stund; om det fortsätter, kontakta administratören.",
      provider_said_no: "Identitetsleverantören loggade inte in dig.",
      no_address: "Identitetsleverantören gav ingen användbar, verifierad e-postadress för dig, eller så är din adress här inte bekräftad än. Kontakta administratören.",
      no_account: "Du kan inte logga in här på det här sättet. Kontakta administratören.",
      network: "Inloggning är inte tillåten från ditt nätverk.",
      answer_refused: "Identitetsleverantörens svar avvisades. Om det fortsätter, ge administratören orsakskoden nedan.",
      other: "Begäran kunde inte slutföras.",
    },
  },
};

/** The page's language: the browser's first choice among the five (a region falls back to its language: zh-TW reads zh-CN), else English. */
export function pageLocale(acceptLanguage: string | undefined): PageLocale {
  const chosen = new Negotiator({ headers: { "accept-language": acceptLanguage ?? "" } }).language([...PAGE_LOCALES]);
  return (PAGE_LOCALES as readonly string[]).includes(chosen ?? "") ? (chosen as PageLocale) : "en";
}

/** The kind of refusal a reason code is, for the page's sentence (`other` without a code; a code not listed reads as a refused answer). */
export const refusalKind = (reason: string | undefined): Kind => (reason === undefined ? "other" : Object.hasOwn(KIND_OF, reason) ? KIND_OF[reason]! : "answer_refused");

/** Whether the page knows this reason code's kind (test/refusal-page.test.ts holds every code the sign-ins give to it). */
export const knowsReason = (reason: string): boolean => Object.hasOwn(KIND_OF, reason);

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The refusal page. `description` is the server's English sentence. The kind of refusal leads,
 * in the page's language, and the server's sentence follows as details (for an admin), with the
 * reason code; without a code an English page says only the server's sentence.
 */
export function refusalPage(opts: { locale: PageLocale; flow: "signIn" | "authorization"; description: string; reason: string | undefined }): string {
  const x = TEXTS[opts.locale];
  const title = x[opts.flow];
  const code = opts.reason !== undefined && /^[a-z_]{1,64}$/.test(opts.reason) ? opts.reason : undefined;
  const kind = refusalKind(code);
  // Without a code, in English the server's sentence is the page's; with one, the kind leads in every language.
  const own = kind === "other" && opts.locale === "en";
  const lead = own ? opts.description : x.kinds[kind];
  const details = own ? "" : `\n<p>${x.details}: <span lang="en">${escapeHtml(opts.description)}</span></p>`;
  const reason = code ? `\n<p>${x.reason}: <code>${code}</code></p>` : "";
  return `<!doctype html>
<html lang="${opts.locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title></head>
<body><main><h1>${title}</h1><p>${escapeHtml(lead)}</p>${reason}${details}
<p><a href="/agent">${x.staff}</a> · <a href="/signin">${x.helpCenter}</a></p></main></body></html>
`;
}
