import { mailLanguage } from "../../platform/mail-language.ts";

/**
 * The texts of e-mail notifications, in the help center's five languages. Plain text only: a
 * notification carries no markup, no remote image and no tracking. `{{…}}` names a value
 * (`render` below); a value never goes through the template again, so a comment that contains
 * `{{ticket.url}}` stays that text.
 */

export type NotificationEvent = "request_received" | "public_reply" | "solved" | "end_user_update" | "cc_update";
export const NOTIFICATION_EVENTS: readonly NotificationEvent[] = ["request_received", "public_reply", "solved", "end_user_update", "cc_update"];

type Text = { subject: string; body: string; contentFreeSubject: string; contentFreeBody: string };
type Texts = Record<NotificationEvent, Text>;

const en: Texts = {
  request_received: {
    subject: "[{{team}}] Request received: {{ticket.title}}",
    body: "Hello {{name}},\n\nWe received your request #{{ticket.id}} and will answer soon. You can follow it here:\n{{ticket.url}}\n\nYour message:\n\n{{comment}}\n",
    contentFreeSubject: "[{{team}}] Request #{{ticket.id}} received",
    contentFreeBody: "Hello {{name}},\n\nWe received your request #{{ticket.id}} and will answer soon. Sign in to read it:\n{{ticket.url}}\n",
  },
  public_reply: {
    subject: "[{{team}}] Re: {{ticket.title}}",
    body: "Hello {{name}},\n\n{{author}} replied to your request #{{ticket.id}}:\n\n{{comment}}\n\nTo answer, use the help center:\n{{ticket.url}}\n",
    contentFreeSubject: "[{{team}}] New reply to request #{{ticket.id}}",
    contentFreeBody: "Hello {{name}},\n\nThere is a new reply to your request #{{ticket.id}}. Sign in to read it:\n{{ticket.url}}\n",
  },
  solved: {
    subject: "[{{team}}] Solved: {{ticket.title}}",
    body: "Hello {{name}},\n\nYour request #{{ticket.id}} was solved.\n\n{{comment}}\n\nIf something is still wrong, reply in the help center and it opens again:\n{{ticket.url}}\n",
    contentFreeSubject: "[{{team}}] Request #{{ticket.id}} solved",
    contentFreeBody: "Hello {{name}},\n\nYour request #{{ticket.id}} was solved. Sign in to read the answer, or to reply if something is still wrong:\n{{ticket.url}}\n",
  },
  end_user_update: {
    subject: "[{{team}}] Ticket #{{ticket.id}}: {{ticket.title}}",
    body: "{{author}} wrote on ticket #{{ticket.id}}:\n\n{{comment}}\n\nOpen the ticket:\n{{ticket.url}}\n",
    contentFreeSubject: "[{{team}}] Ticket #{{ticket.id}} updated by the customer",
    contentFreeBody: "The customer wrote on ticket #{{ticket.id}}. Open the ticket:\n{{ticket.url}}\n",
  },
  cc_update: {
    subject: "[{{team}}] Re: {{ticket.title}}",
    body: "Hello {{name}},\n\n{{author}} wrote on request #{{ticket.id}}, on which you are copied:\n\n{{comment}}\n\nYou receive this message because you are copied on this request.\n{{ticket.url}}\n",
    contentFreeSubject: "[{{team}}] Request #{{ticket.id}} updated",
    contentFreeBody: "Hello {{name}},\n\nThere is an update to request #{{ticket.id}}, on which you are copied. This message does not carry its text.\n{{ticket.url}}\n",
  },
};

const sv: Texts = {
  request_received: {
    subject: "[{{team}}] Ärendet har tagits emot: {{ticket.title}}",
    body: "Hej {{name}}!\n\nVi har tagit emot ditt ärende #{{ticket.id}} och svarar snart. Du kan följa det här:\n{{ticket.url}}\n\nDitt meddelande:\n\n{{comment}}\n",
    contentFreeSubject: "[{{team}}] Ärende #{{ticket.id}} har tagits emot",
    contentFreeBody: "Hej {{name}}!\n\nVi har tagit emot ditt ärende #{{ticket.id}} och svarar snart. Logga in för att läsa det:\n{{ticket.url}}\n",
  },
  public_reply: {
    subject: "[{{team}}] Sv: {{ticket.title}}",
    body: "Hej {{name}}!\n\n{{author}} har svarat på ditt ärende #{{ticket.id}}:\n\n{{comment}}\n\nSvara via hjälpcentret:\n{{ticket.url}}\n",
    contentFreeSubject: "[{{team}}] Nytt svar på ärende #{{ticket.id}}",
    contentFreeBody: "Hej {{name}}!\n\nDet finns ett nytt svar på ditt ärende #{{ticket.id}}. Logga in för att läsa det:\n{{ticket.url}}\n",
  },
  solved: {
    subject: "[{{team}}] Löst: {{ticket.title}}",
    body: "Hej {{name}}!\n\nDitt ärende #{{ticket.id}} har lösts.\n\n{{comment}}\n\nOm något fortfarande är fel kan du svara i hjälpcentret, så öppnas det igen:\n{{ticket.url}}\n",
    contentFreeSubject: "[{{team}}] Ärende #{{ticket.id}} har lösts",
    contentFreeBody: "Hej {{name}}!\n\nDitt ärende #{{ticket.id}} har lösts. Logga in för att läsa svaret, eller för att svara om något fortfarande är fel:\n{{ticket.url}}\n",
  },
  end_user_update: {
    subject: "[{{team}}] Ärende #{{ticket.id}}: {{ticket.title}}",
    body: "{{author}} skrev i ärende #{{ticket.id}}:\n\n{{comment}}\n\nÖppna ärendet:\n{{ticket.url}}\n",
    contentFreeSubject: "[{{team}}] Ärende #{{ticket.id}} uppdaterat av kunden",
    contentFreeBody: "Kunden skrev i ärende #{{ticket.id}}. Öppna ärendet:\n{{ticket.url}}\n",
  },
  cc_update: {
    subject: "[{{team}}] Sv: {{ticket.title}}",
    body: "Hej {{name}}!\n\n{{author}} skrev i ärende #{{ticket.id}}, där du står som kopiemottagare:\n\n{{comment}}\n\nDu får det här meddelandet eftersom du är kopiemottagare på ärendet.\n{{ticket.url}}\n",
    contentFreeSubject: "[{{team}}] Ärende #{{ticket.id}} har uppdaterats",
    contentFreeBody: "Hej {{name}}!\n\nÄrende #{{ticket.id}}, där du står som kopiemottagare, har uppdaterats. Meddelandet innehåller inte texten.\n{{ticket.url}}\n",
  },
};

const ja: Texts = {
  request_received: {
    subject: "[{{team}}] お問い合わせを受け付けました: {{ticket.title}}",
    body: "{{name}} 様\n\nお問い合わせ #{{ticket.id}} を受け付けました。まもなくご回答します。状況はこちらでご確認いただけます:\n{{ticket.url}}\n\nお送りいただいた内容:\n\n{{comment}}\n",
    contentFreeSubject: "[{{team}}] お問い合わせ #{{ticket.id}} を受け付けました",
    contentFreeBody: "{{name}} 様\n\nお問い合わせ #{{ticket.id}} を受け付けました。まもなくご回答します。サインインしてご確認ください:\n{{ticket.url}}\n",
  },
  public_reply: {
    subject: "[{{team}}] Re: {{ticket.title}}",
    body: "{{name}} 様\n\nお問い合わせ #{{ticket.id}} に {{author}} から返信がありました:\n\n{{comment}}\n\nご返信はヘルプセンターからお願いします:\n{{ticket.url}}\n",
    contentFreeSubject: "[{{team}}] お問い合わせ #{{ticket.id}} に返信があります",
    contentFreeBody: "{{name}} 様\n\nお問い合わせ #{{ticket.id}} に新しい返信があります。サインインしてご確認ください:\n{{ticket.url}}\n",
  },
  solved: {
    subject: "[{{team}}] 解決済み: {{ticket.title}}",
    body: "{{name}} 様\n\nお問い合わせ #{{ticket.id}} は解決済みになりました。\n\n{{comment}}\n\nまだ問題がある場合は、ヘルプセンターでご返信いただくと再開されます:\n{{ticket.url}}\n",
    contentFreeSubject: "[{{team}}] お問い合わせ #{{ticket.id}} は解決済みです",
    contentFreeBody: "{{name}} 様\n\nお問い合わせ #{{ticket.id}} は解決済みになりました。回答の確認や、まだ問題がある場合のご返信はサインインしてください:\n{{ticket.url}}\n",
  },
  end_user_update: {
    subject: "[{{team}}] チケット #{{ticket.id}}: {{ticket.title}}",
    body: "{{author}} がチケット #{{ticket.id}} に書き込みました:\n\n{{comment}}\n\nチケットを開く:\n{{ticket.url}}\n",
    contentFreeSubject: "[{{team}}] チケット #{{ticket.id}} がお客様により更新されました",
    contentFreeBody: "お客様がチケット #{{ticket.id}} に書き込みました。チケットを開く:\n{{ticket.url}}\n",
  },
  cc_update: {
    subject: "[{{team}}] Re: {{ticket.title}}",
    body: "{{name}} 様\n\nCC に追加されているお問い合わせ #{{ticket.id}} に {{author}} が書き込みました:\n\n{{comment}}\n\nこのメールは、お問い合わせの CC に追加されているためお送りしています。\n{{ticket.url}}\n",
    contentFreeSubject: "[{{team}}] お問い合わせ #{{ticket.id}} が更新されました",
    contentFreeBody: "{{name}} 様\n\nCC に追加されているお問い合わせ #{{ticket.id}} が更新されました。このメールには内容を記載していません。\n{{ticket.url}}\n",
  },
};

const ko: Texts = {
  request_received: {
    subject: "[{{team}}] 문의 접수: {{ticket.title}}",
    body: "{{name}}님, 안녕하세요.\n\n문의 #{{ticket.id}}이(가) 접수되었으며 곧 답변드리겠습니다. 진행 상황은 여기에서 확인하세요:\n{{ticket.url}}\n\n보내신 내용:\n\n{{comment}}\n",
    contentFreeSubject: "[{{team}}] 문의 #{{ticket.id}} 접수됨",
    contentFreeBody: "{{name}}님, 안녕하세요.\n\n문의 #{{ticket.id}}이(가) 접수되었으며 곧 답변드리겠습니다. 로그인하여 확인하세요:\n{{ticket.url}}\n",
  },
  public_reply: {
    subject: "[{{team}}] Re: {{ticket.title}}",
    body: "{{name}}님, 안녕하세요.\n\n{{author}}님이 문의 #{{ticket.id}}에 답변했습니다:\n\n{{comment}}\n\n답장은 고객센터에서 하실 수 있습니다:\n{{ticket.url}}\n",
    contentFreeSubject: "[{{team}}] 문의 #{{ticket.id}}에 새 답변",
    contentFreeBody: "{{name}}님, 안녕하세요.\n\n문의 #{{ticket.id}}에 새 답변이 있습니다. 로그인하여 확인하세요:\n{{ticket.url}}\n",
  },
  solved: {
    subject: "[{{team}}] 해결됨: {{ticket.title}}",
    body: "{{name}}님, 안녕하세요.\n\n문의 #{{ticket.id}}이(가) 해결되었습니다.\n\n{{comment}}\n\n아직 문제가 있으면 고객센터에서 답장하시면 다시 열립니다:\n{{ticket.url}}\n",
    contentFreeSubject: "[{{team}}] 문의 #{{ticket.id}} 해결됨",
    contentFreeBody: "{{name}}님, 안녕하세요.\n\n문의 #{{ticket.id}}이(가) 해결되었습니다. 답변을 확인하거나 아직 문제가 있으면 로그인하여 답장하세요:\n{{ticket.url}}\n",
  },
  end_user_update: {
    subject: "[{{team}}] 티켓 #{{ticket.id}}: {{ticket.title}}",
    body: "{{author}}님이 티켓 #{{ticket.id}}에 작성했습니다:\n\n{{comment}}\n\n티켓 열기:\n{{ticket.url}}\n",
    contentFreeSubject: "[{{team}}] 고객이 티켓 #{{ticket.id}}을(를) 업데이트함",
    contentFreeBody: "고객이 티켓 #{{ticket.id}}에 작성했습니다. 티켓 열기:\n{{ticket.url}}\n",
  },
  cc_update: {
    subject: "[{{team}}] Re: {{ticket.title}}",
    body: "{{name}}님, 안녕하세요.\n\n참조(CC)로 포함된 문의 #{{ticket.id}}에 {{author}}님이 작성했습니다:\n\n{{comment}}\n\n이 문의에 참조(CC)로 포함되어 있어 이 메일을 보내드립니다.\n{{ticket.url}}\n",
    contentFreeSubject: "[{{team}}] 문의 #{{ticket.id}} 업데이트됨",
    contentFreeBody: "{{name}}님, 안녕하세요.\n\n참조(CC)로 포함된 문의 #{{ticket.id}}이(가) 업데이트되었습니다. 이 메일에는 내용이 포함되어 있지 않습니다.\n{{ticket.url}}\n",
  },
};

const zh: Texts = {
  request_received: {
    subject: "[{{team}}] 已收到您的请求：{{ticket.title}}",
    body: "{{name}}，您好：\n\n我们已收到您的请求 #{{ticket.id}}，会尽快答复。您可以在此查看进展：\n{{ticket.url}}\n\n您的留言：\n\n{{comment}}\n",
    contentFreeSubject: "[{{team}}] 已收到请求 #{{ticket.id}}",
    contentFreeBody: "{{name}}，您好：\n\n我们已收到您的请求 #{{ticket.id}}，会尽快答复。请登录查看：\n{{ticket.url}}\n",
  },
  public_reply: {
    subject: "[{{team}}] 回复：{{ticket.title}}",
    body: "{{name}}，您好：\n\n{{author}} 回复了您的请求 #{{ticket.id}}：\n\n{{comment}}\n\n如需回复，请前往帮助中心：\n{{ticket.url}}\n",
    contentFreeSubject: "[{{team}}] 请求 #{{ticket.id}} 有新回复",
    contentFreeBody: "{{name}}，您好：\n\n您的请求 #{{ticket.id}} 有新回复。请登录查看：\n{{ticket.url}}\n",
  },
  solved: {
    subject: "[{{team}}] 已解决：{{ticket.title}}",
    body: "{{name}}，您好：\n\n您的请求 #{{ticket.id}} 已解决。\n\n{{comment}}\n\n如果问题仍未解决，请在帮助中心回复，请求将重新打开：\n{{ticket.url}}\n",
    contentFreeSubject: "[{{team}}] 请求 #{{ticket.id}} 已解决",
    contentFreeBody: "{{name}}，您好：\n\n您的请求 #{{ticket.id}} 已解决。请登录查看答复；如果问题仍未解决，也可以回复：\n{{ticket.url}}\n",
  },
  end_user_update: {
    subject: "[{{team}}] 工单 #{{ticket.id}}：{{ticket.title}}",
    body: "{{author}} 在工单 #{{ticket.id}} 中写道：\n\n{{comment}}\n\n打开工单：\n{{ticket.url}}\n",
    contentFreeSubject: "[{{team}}] 客户更新了工单 #{{ticket.id}}",
    contentFreeBody: "客户在工单 #{{ticket.id}} 中留言。打开工单：\n{{ticket.url}}\n",
  },
  cc_update: {
    subject: "[{{team}}] 回复：{{ticket.title}}",
    body: "{{name}}，您好：\n\n{{author}} 在抄送您的请求 #{{ticket.id}} 中写道：\n\n{{comment}}\n\n您收到此邮件，是因为此请求抄送了您。\n{{ticket.url}}\n",
    contentFreeSubject: "[{{team}}] 请求 #{{ticket.id}} 有更新",
    contentFreeBody: "{{name}}，您好：\n\n抄送您的请求 #{{ticket.id}} 有更新。本邮件不包含其内容。\n{{ticket.url}}\n",
  },
};

const TEXTS: Record<string, Texts> = { en, sv, ja, ko, "zh-CN": zh };

/**
 * The acknowledgement of a request sent through the form without signing in: no subject, no text
 * and no name, all of which the person who filled the form chose (the address may be anyone's).
 */
const UNPROVEN_ACK: Record<string, { subject: string; body: string }> = {
  en: { subject: "[{{team}}] Request #{{ticket.id}} received", body: "Hello,\n\nWe received request #{{ticket.id}} sent with this address through our help center, and will answer soon. Sign in to read it:\n{{ticket.url}}\n\nIf you did not send it, you can ignore this message.\n" },
  sv: { subject: "[{{team}}] Ärende #{{ticket.id}} har tagits emot", body: "Hej!\n\nVi har tagit emot ärende #{{ticket.id}} som skickades med den här adressen via vårt hjälpcenter, och svarar snart. Logga in för att läsa det:\n{{ticket.url}}\n\nOm du inte har skickat det kan du bortse från meddelandet.\n" },
  ja: { subject: "[{{team}}] お問い合わせ #{{ticket.id}} を受け付けました", body: "こんにちは。\n\nこのメールアドレスでヘルプセンターから送信されたお問い合わせ #{{ticket.id}} を受け付けました。まもなくご回答します。サインインしてご確認ください:\n{{ticket.url}}\n\nお心当たりがない場合は、このメールを無視してください。\n" },
  ko: { subject: "[{{team}}] 문의 #{{ticket.id}} 접수됨", body: "안녕하세요.\n\n이 주소로 고객센터를 통해 보낸 문의 #{{ticket.id}}이(가) 접수되었으며 곧 답변드리겠습니다. 로그인하여 확인하세요:\n{{ticket.url}}\n\n보내지 않으셨다면 이 메일을 무시하세요.\n" },
  "zh-CN": { subject: "[{{team}}] 已收到请求 #{{ticket.id}}", body: "您好：\n\n我们已收到通过帮助中心以此地址提交的请求 #{{ticket.id}}，会尽快答复。请登录查看：\n{{ticket.url}}\n\n如果不是您提交的，请忽略本邮件。\n" },
};
/**
 * The paragraph a `solved` notification to the requester ends with when the account asks for
 * satisfaction ratings: two links to the request's page, each preselecting a score. Opening one
 * rates nothing (link scanners open links): the page asks to confirm.
 */
const RATING_INVITE: Record<string, string> = {
  en: "How would you rate the support you received?\nGood, I'm satisfied: {{good}}\nBad, I'm unsatisfied: {{bad}}\n",
  sv: "Hur skulle du betygsätta den hjälp du fick?\nBra, jag är nöjd: {{good}}\nDåligt, jag är missnöjd: {{bad}}\n",
  ja: "今回のサポートはいかがでしたか？\n良い、満足している: {{good}}\n悪い、満足していない: {{bad}}\n",
  ko: "받으신 지원을 어떻게 평가하시겠습니까?\n좋음, 만족합니다: {{good}}\n나쁨, 만족하지 않습니다: {{bad}}\n",
  "zh-CN": "您对我们提供的支持满意吗？\n好，我很满意：{{good}}\n差，我不满意：{{bad}}\n",
};

/** The rating invitation in a language, its links filled in (they come from configuration, never a request). */
export function ratingInvite(language: TemplateLocale, links: { good: string; bad: string }): string {
  return (RATING_INVITE[language] ?? RATING_INVITE.en!).replace("{{good}}", links.good).replace("{{bad}}", links.bad);
}

export const TEMPLATE_LOCALES = ["en", "sv", "ja", "ko", "zh-CN"] as const;
export type TemplateLocale = (typeof TEMPLATE_LOCALES)[number];
export const PLACEHOLDERS = ["team", "name", "author", "ticket.id", "ticket.title", "ticket.url", "comment"] as const;

/** The built-in subject and body of an event in a language (what an admin's template replaces). */
export function builtInText(event: NotificationEvent, locale: TemplateLocale): { subject: string; body: string } {
  const t = TEXTS[locale]![event];
  return { subject: t.subject, body: t.body };
}

/** The most of a comment a notification quotes (the rest is behind the link). */
const MAX_COMMENT_CHARS = 20_000;

/** How often one placeholder may appear in a template (a template must not multiply a comment into megabytes). */
export const MAX_PLACEHOLDER_USES = 3;

/**
 * What is wrong with a template's placeholders, in words (undefined: nothing): an unknown name
 * (`{{ticket.secret}}`), a brace that opens or closes nothing, a placeholder used more than
 * MAX_PLACEHOLDER_USES times. Linear in the template's length: a name is at most 64 characters
 * without braces, so no input makes the patterns backtrack.
 */
export function placeholderProblem(template: string): string | undefined {
  const known = new Set<string>(PLACEHOLDERS);
  const uses = new Map<string, number>();
  const unknown: string[] = [];
  for (const m of template.matchAll(/\{\{([^{}]{0,64})\}\}/g)) {
    const name = m[1]!.trim();
    if (!known.has(name)) unknown.push(name);
    else uses.set(name, (uses.get(name) ?? 0) + 1);
  }
  if (unknown.length > 0) return `unknown placeholder ${unknown.map((u) => `{{${u}}}`).join(", ")}; use ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(", ")}`;
  const rest = template.replace(/\{\{([^{}]{0,64})\}\}/g, "");
  if (rest.includes("{{") || rest.includes("}}")) return "a {{ or }} that is not part of a placeholder such as {{ticket.id}}";
  const over = [...uses].filter(([, n]) => n > MAX_PLACEHOLDER_USES).map(([name]) => `{{${name}}}`);
  if (over.length > 0) return `${over.join(", ")} used more than ${MAX_PLACEHOLDER_USES} times`;
  return undefined;
}

export type NotificationValues = { team: string; name: string; author: string; "ticket.id": string; "ticket.title": string; "ticket.url": string; comment: string };

/** Fills `{{name}}`s in one pass: a value is never read as a template. Unknown names stay as written. */
export function render(template: string, values: NotificationValues): string {
  return template.replace(/\{\{\s*([a-z.]+)\s*\}\}/g, (all, key: string) => (Object.hasOwn(values, key) ? values[key as keyof NotificationValues] : all));
}

/** The language a notification to a person is written in. */
export const notificationLanguage = (locale: string | null): TemplateLocale => mailLanguage(locale, Object.keys(TEXTS)) as TemplateLocale;

/**
 * The notification for one recipient: in their language, with or without the content. `custom`:
 * the admin's text for this event and language; content-free messages always use the built-in
 * content-free text (an admin's template could name the comment).
 */
export function notificationMail(event: NotificationEvent, language: TemplateLocale, mode: "full" | "content-free" | "unproven", values: NotificationValues, custom?: { subject: string; body: string }) {
  const t = TEXTS[language]![event];
  const unproven = UNPROVEN_ACK[language]!;
  const subjectTemplate = mode === "unproven" ? unproven.subject : mode === "content-free" ? t.contentFreeSubject : (custom?.subject ?? t.subject);
  const bodyTemplate = mode === "unproven" ? unproven.body : mode === "content-free" ? t.contentFreeBody : (custom?.body ?? t.body);
  // A subject is one line, whatever the title holds.
  const subject = render(subjectTemplate, values).replace(/[\r\n]+/g, " ").slice(0, 250);
  // A comment is at most a few hundred kilobytes; placeholders appear at most three times.
  return { language, subject, text: render(bodyTemplate, { ...values, comment: values.comment.length > MAX_COMMENT_CHARS ? `${values.comment.slice(0, MAX_COMMENT_CHARS)}\n[…]` : values.comment }) };
}

