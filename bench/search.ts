/**
 * `npm run bench -- --search [--quick]`: full-text search over sealed content (issue 14's "Speed"),
 * on PostgreSQL (BENCH_DATABASE_URL or TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432).
 *
 * Seeding happens in this process, not through HTTP: ticket rows with subjects and descriptions
 * sealed by the tenant's real sealer, and the index rows (search_postings, search_documents)
 * computed by the real packText (termsOf + the tenant's blind-index hashing), loaded in large
 * batches. The text is generated: a Zipf-distributed vocabulary (real English and Swedish words at
 * the head, made-up words of the language's shape in the tail), some Japanese, Chinese and Korean,
 * a subject and two to five comments per ticket (about one in five later comments an internal
 * note), over 100 tenants of which one holds 30 % of the tickets. Comment rows themselves are not
 * written (search reads only the index and the ticket rows), so ticket_comments stays small.
 *
 * Then a real server process answers the queries over real HTTP, one at a time, in the big tenant:
 * one word, three words and a quoted phrase, each with common and with rare words, plus a CJK word;
 * the index's size per ticket; and the ticket create rate through the API with the same realistic
 * text through two servers on the same database, one with indexing and one without
 * (VAULTDESK_BENCH_ONLY_SKIP_SEARCH_INDEX), in alternating rounds.
 *
 * The baseline, in the same run: PostgreSQL's own full-text search over the same text in clear
 * (a tsvector of the english and swedish configurations, GIN with btree_gin's tenant_id), in a
 * throw-away database dropped afterwards, the same queries (top 25 by ts_rank) straight over SQL.
 * EXPLAIN (ANALYZE, BUFFERS) of the slowest cases goes to bench/results/search-explain*.txt.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "kysely";
import pg from "pg";
import { loadConfig } from "../src/platform/config.ts";
import { openRuntime } from "../src/platform/runtime.ts";
import { makeContext } from "../src/platform/context.ts";
import { createTenant } from "../src/modules/tenants/tenants-service.ts";
import { packText, textMatch, type TextMatch } from "../src/modules/search/search-index.ts";
import type { TenantTx } from "../src/platform/db/database.ts";
import { pruneTop } from "../src/modules/search/search-service.ts";
import { DEFAULT_LANGUAGES } from "../src/modules/search/search-text.ts";
import { pairSet, POSTING_LENGTH_MAX } from "../src/modules/search/search-repo.ts";
import { call, startServer, type ServerProcess } from "../test/support/process.ts";

type Stats = { p50_ms: number; p95_ms: number; p99_ms: number; mean_ms: number; hits_mean: number };
export type SearchResult = {
  tickets: number;
  tenants: number;
  big_tenant_tickets: number;
  seed_seconds: number;
  postings: number;
  /** Phrase pairs (search_pair_sets, 0051: rows of a text's pairs side by side), apart from the postings. */
  pairs: number;
  /** Bytes of search_postings + search_documents (tables and indexes) per ticket. */
  index_bytes_per_ticket: number;
  /** Baseline: bytes of the tsvector column and its GIN index per ticket. */
  baseline_index_bytes_per_ticket: number;
  samples: number;
  /** Over real HTTP (search.json, page[size]=25, relevance order), one request at a time. */
  latency: Record<string, Stats>;
  /** The same queries against PostgreSQL full-text search (SQL only, no HTTP). */
  baseline: Record<string, Stats>;
  /** Vaultdesk over baseline, per percentile. */
  ratio: Record<string, { p50: number; p95: number; p99: number }>;
  /**
   * Like for like with the baseline: the route's search statements alone (textMatch's counts and
   * the relevance page of 26 ids, asked again unpruned when a pruned page is short, as the route
   * does), timed in this process inside the big tenant's transaction; no HTTP, authentication,
   * display query, decryption or rendering. Alternating with the baseline's statement.
   */
  sql: { rounds: number; latency: Record<string, Stats>; baseline: Record<string, Stats>; ratio: Record<string, { p50: number; p95: number; p99: number }> };
  /** Creates per second through the API at concurrency 4, indexed and not (same text, same database). */
  create: { indexed_per_s: number; not_indexed_per_s: number; ratio: number; creates_each: number };
  /** A page of 25 tickets by an indexed sort with no words (status:new, by created_at): the HTTP and rendering floor. */
  floor: Stats;
  queries: Record<string, string[]>;
  /**
   * `type:user name:<prefix>*` over real HTTP (page[size]=25) in the big tenant, after creating
   * `people` people through the API; baseline: a `simple` tsvector of the same names and addresses
   * in clear with a GIN index, `to_tsquery('simple', '<prefix>:*')`, the first 25 by id (SQL only).
   */
  name_prefix: { people: number; create_per_s: number; prefixes: string[]; latency: Stats; baseline: Stats; ratio: { p50: number; p95: number; p99: number } };
};

// People's names for the name-prefix queries: given and family names of the five languages.
const GIVEN = ["Ada", "Adam", "Adrian", "Alice", "Anna", "Astrid", "Axel", "Ben", "Björn", "Carl", "Clara", "David", "Ebba", "Elin", "Emma", "Erik", "Frida", "Grace", "Gustav", "Hanna",
  "Henrik", "Ida", "Ingrid", "Jack", "James", "Johan", "Karin", "Lars", "Linnea", "Lucas", "Maja", "Maria", "Noah", "Olivia", "Oscar", "Sara", "Sofia", "Stina", "Tove", "William",
  "太郎", "花子", "翔太", "美咲", "민준", "서연", "지훈", "伟", "芳", "娜"];
const FAMILY = ["Andersson", "Berg", "Brown", "Carlsson", "Davies", "Ek", "Evans", "Forsberg", "Green", "Gustafsson", "Hall", "Hansson", "Hughes", "Jakobsson", "Johansson", "Johnson",
  "Jones", "Karlsson", "King", "Larsson", "Lee", "Lind", "Lindberg", "Lundqvist", "Martin", "Miller", "Nilsson", "Nyström", "Olsson", "Persson", "Roberts", "Smith", "Svensson",
  "Taylor", "Walker", "White", "Wilson", "Wood", "山田", "佐藤", "김", "이", "王", "李"];
const PREFIXES = ["ad", "an", "be", "ca", "er", "jo", "la", "li", "ma", "ni", "sv", "wi", "ber", "joh", "kar", "lars"];

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 100) / 100;
};
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const stats = (xs: number[], h: number[]): Stats => ({ p50_ms: pct(xs, 50), p95_ms: pct(xs, 95), p99_ms: pct(xs, 99), mean_ms: round(xs.reduce((a, b) => a + b, 0) / xs.length, 2), hits_mean: round(h.reduce((a, b) => a + b, 0) / h.length) });
const step = (s: string) => process.stderr.write(`  ${new Date().toISOString().slice(11, 19)} search: ${s}\n`);

// ---------------------------------------------------------------------------------------------
// Text: a seeded generator, so two runs seed the same tickets.

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EN_HEAD = (
  "the to and i a is it of for my in not on this with you we have be can that printer error please when but " +
  "are from an at was do after our as if no will or get any all help account email password login issue problem " +
  "again still working work new now just since today order invoice payment screen update version app phone " +
  "network connection server file files page button settings user users access customer support ticket team " +
  "office laptop computer install installed open opened close crash crashes slow loading load shows message " +
  "try tried restart restarted reset could would should need want know see there they them their what which " +
  "time day week yesterday morning monday friday report reports data export import sync missing wrong broken " +
  "paper jam toner tray cartridge driver windows mac mobile android iphone browser chrome firefox cache cookie " +
  "refund charge charged card billing subscription plan upgrade downgrade cancel cancelled delivery shipping " +
  "package address tracking return warranty repair replace replacement battery charger cable monitor keyboard " +
  "mouse wifi vpn printer's floor building meeting room calendar invite share shared folder drive backup restore"
).split(" ");
const SV_HEAD = (
  "och att det i är inte jag på en som för med har till vi kan den av om ett men så du ni när efter fungerar " +
  "skrivaren skrivare fel felet hjälp konto lösenord inloggning problem problemet igen fortfarande faktura " +
  "fakturan betalning skärmen uppdatering versionen appen telefonen nätverket anslutning servern filen filer " +
  "sidan knappen inställningar användare kund kunden support ärendet teamet kontoret datorn installera " +
  "installerat öppna stänga kraschar långsam laddar visar meddelande försökt starta om återställa skulle behöver " +
  "vill vet se där de dem vad vilken tid dag vecka igår morse måndag fredag rapport rapporten data exportera " +
  "saknas fel trasig papper pappersstopp toner facket drivrutin mobilen webbläsaren återbetalning kortet " +
  "prenumeration uppgradera avbryta leverans frakt paketet adress spårning retur garanti reparation batteriet " +
  "laddaren kabeln skärm tangentbordet musen trådlöst möte rummet kalender dela mappen säkerhetskopia tack hälsningar"
).split(" ");
const JA_HEAD = "プリンター 印刷 エラー 請求書 パスワード ログイン 接続 問題 確認 できません お願いします 画面 更新 アカウント 支払い 注文 配送 返金 設定 ファイル 会議室 紙詰まり ネットワーク 遅い 再起動".split(" ");
const ZH_HEAD = "打印机 错误 密码 登录 发票 连接 问题 无法 请 帮助 屏幕 更新 账户 付款 订单 配送 退款 设置 文件 会议室 卡纸 网络 很慢 重启 客户".split(" ");
const KO_HEAD = "프린터 오류 비밀번호 로그인 청구서 연결 문제 확인 안됩니다 부탁드립니다 화면 업데이트 계정 결제 주문 배송 환불 설정 파일 회의실 용지 네트워크 느립니다 재시작 고객".split(" ");
const HAN = "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话".split("");
const HANGUL = "가나다라마바사아자차카타파하고노도로모보소오조초코토포호구누두루무부수우주추쿠투푸후기니디리미비시이지치키티피히개내대래매배새애재채".split("");

type Lang = "en" | "sv" | "ja" | "zh" | "ko";

/** A language's vocabulary: the real head, then made-up words of its shape up to `size`. */
function vocabulary(lang: Lang, size: number, r: () => number): string[] {
  const head = { en: EN_HEAD, sv: SV_HEAD, ja: JA_HEAD, zh: ZH_HEAD, ko: KO_HEAD }[lang];
  const words = [...new Set(head)];
  const seen = new Set(words);
  const syl = lang === "en" ? ["ba", "con", "de", "fi", "gra", "ho", "in", "ker", "lo", "men", "nu", "or", "pre", "qui", "ra", "st", "ter", "un", "ve", "wi", "xy", "zo", "tion", "ing", "er"] : ["bå", "dr", "fö", "gl", "hä", "kv", "lj", "mö", "ny", "pr", "rå", "sk", "sp", "st", "tj", "ut", "vä", "ar", "en", "ing", "het", "lig", "are", "ör", "ån"];
  const chars = lang === "ko" ? HANGUL : HAN;
  while (words.length < size) {
    let w = "";
    if (lang === "en" || lang === "sv") {
      const n = 2 + Math.floor(r() * 3);
      for (let i = 0; i < n; i++) w += syl[Math.floor(r() * syl.length)]!;
    } else {
      const n = 2 + Math.floor(r() * 2);
      for (let i = 0; i < n; i++) w += chars[Math.floor(r() * chars.length)]!;
    }
    if (!seen.has(w)) {
      seen.add(w);
      words.push(w);
    }
  }
  return words;
}

/** Draws ranks 0..n-1 with probability ∝ 1/(rank+1)^s. */
function zipf(n: number, s: number, r: () => number) {
  const cdf = new Float64Array(n);
  let acc = 0;
  for (let i = 0; i < n; i++) cdf[i] = acc += 1 / (i + 1) ** s;
  return () => {
    const x = r() * acc;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

type GenTicket = { subject: string; comments: Array<{ text: string; internal: boolean }>; words: string[]; lang: Lang };

function textGenerator(seed: number) {
  const r = rng(seed);
  const sizes: Record<Lang, number> = { en: 40_000, sv: 30_000, ja: 4000, zh: 4000, ko: 4000 };
  const vocab = Object.fromEntries((Object.keys(sizes) as Lang[]).map((l) => [l, vocabulary(l, sizes[l], r)])) as Record<Lang, string[]>;
  const draw = Object.fromEntries((Object.keys(sizes) as Lang[]).map((l) => [l, zipf(sizes[l], 1.05, r)])) as Record<Lang, () => number>;
  const pickLang = (): Lang => {
    const x = r();
    return x < 0.55 ? "en" : x < 0.9 ? "sv" : x < 0.94 ? "ja" : x < 0.97 ? "zh" : "ko";
  };
  const sentence = (lang: Lang, n: number, into: string[]) => {
    const ws: string[] = [];
    for (let i = 0; i < n; i++) ws.push(vocab[lang][draw[lang]()]!);
    into.push(...ws);
    if (lang === "ja" || lang === "zh") return ws.join(r() < 0.5 ? "" : "、") + "。";
    const s = ws.join(" ");
    return s.charAt(0).toUpperCase() + s.slice(1) + ".";
  };
  return (): GenTicket => {
    const lang = pickLang();
    const words: string[] = [];
    const subject = sentence(lang, 4 + Math.floor(r() * 6), words).replace(/[.。]$/, "");
    const n = 2 + Math.floor(r() * 4);
    const comments: GenTicket["comments"] = [];
    for (let c = 0; c < n; c++) {
      const parts: string[] = [];
      const sentences = 1 + Math.floor(r() * 3);
      for (let k = 0; k < sentences; k++) parts.push(sentence(lang, 6 + Math.floor(r() * 10), words));
      comments.push({ text: parts.join(" "), internal: c > 0 && r() < 0.2 });
    }
    return { subject, comments, words, lang };
  };
}

// ---------------------------------------------------------------------------------------------

async function adminDatabase(adminUrl: string, prefix: string) {
  const name = `${prefix}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  admin.on("error", (e) => console.error("admin connection:", e.message));
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
    keep: () => admin.end(),
  };
}

const TENANTS = 100;

/** The queries of each kind, drawn from the big tenant's own text (so they find something). */
function buildQueries(sample: GenTicket[], df: Map<string, number>, docs: number, stop: Set<string>, r: () => number): Record<string, string[]> {
  const byDf = [...df.entries()].sort((a, b) => b[1] - a[1]);
  const latin = (w: string) => /^[\p{Script=Latin}']+$/u.test(w) && !stop.has(w);
  const common = byDf.filter(([w]) => latin(w)).slice(0, 12).map(([w]) => w);
  const commonSet = new Set(byDf.filter(([w]) => latin(w)).slice(0, 80).map(([w]) => w));
  const isRare = (w: string) => latin(w) && (df.get(w) ?? 0) >= 2 && (df.get(w) ?? 0) <= Math.max(20, docs / 2000);
  const rare = byDf.filter(([w]) => isRare(w));
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  // The most frequent words of all are stop words to PostgreSQL (which then finds nothing): ours alone.
  const stopwords = byDf.filter(([w]) => stop.has(w)).slice(0, 6).map(([w]) => w);
  const q: Record<string, string[]> = { one_stopword: stopwords, one_common: common, one_rare: [], three_common: [], three_rare: [], phrase_common: [], phrase_rare: [], one_cjk: [] };
  for (let i = 0; i < 12 && rare.length; i++) q.one_rare!.push(pick(rare)[0]);
  const latinTickets = sample.filter((t) => t.lang === "en" || t.lang === "sv");
  for (let guard = 0; guard < 20_000 && (q.three_common!.length < 12 || q.three_rare!.length < 12 || q.phrase_common!.length < 12 || q.phrase_rare!.length < 12); guard++) {
    const t = pick(latinTickets);
    const ws = t.words.filter(latin);
    const cs = [...new Set(ws.filter((w) => commonSet.has(w)))];
    if (q.three_common!.length < 12 && cs.length >= 3) q.three_common!.push(cs.sort(() => r() - 0.5).slice(0, 3).join(" "));
    const rw = ws.find(isRare);
    if (rw && q.three_rare!.length < 12 && cs.length >= 2) q.three_rare!.push([rw, ...cs.sort(() => r() - 0.5).slice(0, 2)].join(" "));
    const at = Math.floor(r() * (t.words.length - 1));
    const a = t.words[at]!;
    const b = t.words[at + 1]!;
    if (latin(a) && latin(b) && a !== b) {
      if (q.phrase_common!.length < 12 && commonSet.has(a) && commonSet.has(b)) q.phrase_common!.push(`"${a} ${b}"`);
      if (q.phrase_rare!.length < 12 && (isRare(a) || isRare(b))) q.phrase_rare!.push(`"${a} ${b}"`);
    }
  }
  const cjk = sample.filter((t) => t.lang !== "en" && t.lang !== "sv");
  for (let i = 0; i < 12 && cjk.length; i++) q.one_cjk!.push(pick(pick(cjk).words.filter((w) => [...w].length >= 2)));
  return q;
}

/** `tickets`: another size than --quick's 50,000 and the full 1,000,000 (`--tickets N`). `label`: names the explain file. */
export async function benchSearch(opts: { quick: boolean; adminUrl: string; tickets?: number; label: string }): Promise<SearchResult> {
  const TICKETS = opts.tickets ?? (opts.quick ? 50_000 : 1_000_000);
  const BIG = Math.round(TICKETS * 0.3);
  const SAMPLES = opts.quick ? 20 : 50;
  // BENCH_SEARCH_CREATES: creates each way, for a steadier create rate than the default's (bench/README.md).
  const CREATES = Number(process.env.BENCH_SEARCH_CREATES) || (opts.quick ? 160 : 600);
  const started = Date.now();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "vd-bench-search-"));
  const env: Record<string, string> = { VAULTDESK_MASTER_KEY: crypto.randomBytes(32).toString("base64") };
  const main = await adminDatabase(opts.adminUrl, "vd_bench_search");
  const base = await adminDatabase(opts.adminUrl, "vd_bench_fts");
  env.DATABASE_URL = main.url;
  let server: ServerProcess | undefined;
  const pool = new pg.Pool({ connectionString: main.url, max: 3 });
  const basePool = new pg.Pool({ connectionString: base.url, max: 3 });
  pool.on("error", (e) => console.error("bench pool:", e.message));
  basePool.on("error", (e) => console.error("baseline pool:", e.message));
  try {
    const cfg = loadConfig({ ...process.env, ...env, VAULTDESK_DATA_DIR: dataDir, LOG_LEVEL: "silent" });
    const rt = await openRuntime(cfg, { migrate: true, create: true });
    let bigToken = "";
    let bigId = "";
    const tenants: Array<{ id: string; share: number }> = [];
    step(`${TENANTS} tenants`);
    try {
      for (let i = 0; i < TENANTS; i++) {
        const t = await createTenant(rt.db, rt.keyring, { subdomain: i === 0 ? "big" : `t${i}`, ownerEmail: `owner@t${i}.test`, password: "bench-password-not-secret" });
        tenants.push({ id: t.tenantId, share: i === 0 ? BIG : 0 });
        if (i === 0) {
          bigToken = t.apiToken!;
          bigId = t.tenantId;
        }
      }
      // The other 70 % over 99 tenants, unevenly (a few larger ones, many small).
      const rest = TICKETS - BIG;
      const weights = tenants.slice(1).map((_, i) => 1 / (i + 1) ** 0.7);
      const wsum = weights.reduce((a, b) => a + b, 0);
      let given = 0;
      weights.forEach((w, i) => (given += tenants[i + 1]!.share = Math.floor((rest * w) / wsum)));
      tenants[1]!.share += rest - given;

      await pool.query("SET maintenance_work_mem = '512MB'");
      // Load without the index's indexes, then build them (as a restore would).
      const idx = await pool.query<{ name: string; def: string; con: string | null }>(
        `SELECT i.relname AS name, pg_get_indexdef(i.oid) AS def, c.conname AS con FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
         LEFT JOIN pg_constraint c ON c.conindid = i.oid WHERE x.indrelid = 'search_postings'::regclass`,
      );
      for (const r of idx.rows) await pool.query(r.con ? `ALTER TABLE search_postings DROP CONSTRAINT ${r.con}` : `DROP INDEX ${r.name}`);
      await basePool.query(`CREATE EXTENSION IF NOT EXISTS btree_gin`);
      await basePool.query(`CREATE TABLE fts_tickets (tenant_id uuid NOT NULL, id uuid NOT NULL, nice_id bigint NOT NULL, subject text NOT NULL, body text NOT NULL,
        doc tsvector GENERATED ALWAYS AS (to_tsvector('english', subject || ' ' || body) || to_tsvector('swedish', subject || ' ' || body)) STORED, PRIMARY KEY (tenant_id, id))`);

      const gen = textGenerator(14);
      const qr = rng(99);
      const df = new Map<string, number>();
      const sample: GenTicket[] = [];
      let postings = 0;
      let pairs = 0;
      const inflight: Array<Promise<unknown>> = [];
      const flushSome = async (max: number) => {
        while (inflight.length > max) await inflight.shift();
      };
      const seedStart = Date.now();
      const BATCH = 1000;
      const now = Date.now();
      for (const t of tenants) {
        if (t.share === 0) continue;
        const owner = (await pool.query<{ id: string }>(`SELECT id FROM users WHERE tenant_id = $1 AND role = 'owner'`, [t.id])).rows[0]!.id;
        const sealer0 = await rt.db.tenant(t.id, (tx) => rt.keyring.sealerFor(tx));
        // The real hashing, remembered per term for the seeding only (each term is hashed once).
        const memo = new Map<string, Buffer>();
        const sealer = { ...sealer0, blindIndex: (p: string, n: string) => memo.get(n) ?? (memo.set(n, sealer0.blindIndex(p, n)), memo.get(n)!) };
        const firstNice = await rt.db.tenant(t.id, async (tx) => Number((await sql<{ v: string }>`SELECT min(vd_next_id('tickets'))::bigint AS v FROM generate_series(1, ${t.share})`.execute(tx.db)).rows[0]!.v));
        for (let done = 0; done < t.share; done += BATCH) {
          const n = Math.min(BATCH, t.share - done);
          const tk = { id: [] as string[], nice: [] as number[], s: [] as Buffer[], d: [] as Buffer[], st: [] as string[], at: [] as string[] };
          const dc = { id: [] as string[], nice: [] as number[], internal: [] as boolean[], len: [] as number[] };
          const po = { term: [] as Buffer[], nice: [] as number[], internal: [] as boolean[], tf: [] as number[], len: [] as number[] };
          const pa = { nice: [] as number[], internal: [] as boolean[], pairs: [] as Buffer[] };
          const fts = { id: [] as string[], nice: [] as number[], subject: [] as string[], body: [] as string[] };
          for (let k = 0; k < n; k++) {
            const g = gen();
            const id = crypto.randomUUID();
            const nice = firstNice + done + k;
            if (t.id === bigId) {
              for (const w of new Set(g.words)) df.set(w, (df.get(w) ?? 0) + 1);
              if (sample.length < 5000) sample.push(g);
            }
            tk.id.push(id);
            tk.nice.push(nice);
            tk.s.push(sealer0.seal(g.subject, { table: "tickets", column: "subject", row: id }));
            tk.d.push(sealer0.seal(g.comments[0]!.text, { table: "tickets", column: "description", row: id }));
            tk.st.push(["closed", "solved", "open", "pending", "new"][Math.floor(qr() * 5)]!);
            tk.at.push(new Date(now - (t.share - done - k) * 60_000).toISOString());
            for (const internal of [false, true]) {
              const texts = [...(internal ? [] : [g.subject]), ...g.comments.filter((c) => c.internal === internal).map((c) => c.text)];
              if (!texts.length) continue;
              // The writes, as the API makes them: a create writes the subject and the description
              // at once, each later comment on its own; each text tokenised on its own, in the
              // default languages. A write adds a pair row, and gives each of its terms' postings
              // the document's length after it (`len`, 0052): a posting keeps the length of the
              // last write holding its term, as it would in use. The document's postings are the
              // writes' terms with their counts summed, in hash order (as packText orders them).
              const writes = internal ? texts.map((x) => [x]) : [texts.slice(0, 2), ...texts.slice(2).map((x) => [x])];
              const terms = new Map<string, { term: Buffer; tf: number; len: number }>();
              let sofar = 0;
              for (const w of writes) {
                const one = packText({ sealer }, w, DEFAULT_LANGUAGES);
                sofar += one.length;
                for (let j = 0; j < one.tfs.length; j++) {
                  const term = one.packed.subarray(j * 16, j * 16 + 16);
                  const key = term.toString("hex");
                  const had = terms.get(key);
                  terms.set(key, { term, tf: (had?.tf ?? 0) + one.tfs[j]!, len: sofar });
                }
                if (!one.pairs.tfs.length) continue;
                pa.nice.push(nice);
                pa.internal.push(internal);
                pa.pairs.push(pairSet(one.pairs));
                pairs += one.pairs.tfs.reduce((x, y) => x + y, 0);
              }
              if (!terms.size) continue;
              dc.id.push(id);
              dc.nice.push(nice);
              dc.internal.push(internal);
              dc.len.push(sofar);
              for (const key of [...terms.keys()].sort()) {
                const x = terms.get(key)!;
                po.term.push(x.term);
                po.nice.push(nice);
                po.internal.push(internal);
                po.tf.push(x.tf);
                po.len.push(Math.min(x.len, POSTING_LENGTH_MAX));
              }
            }
            fts.id.push(id);
            fts.nice.push(nice);
            fts.subject.push(g.subject);
            fts.body.push(g.comments.map((c) => c.text).join("\n"));
          }
          postings += po.tf.length;
          const tenantId = t.id;
          inflight.push(
            (async () => {
              const c = await pool.connect();
              try {
                await c.query("BEGIN");
                await c.query(
                  `INSERT INTO tickets (tenant_id, id, nice_id, subject_sealed, description_sealed, status, priority, requester_id, submitter_id, tags, created_at, updated_at, solved_at)
                   SELECT $1, u.id, u.nice, u.s, u.d, u.st, 'normal', $8, $8, '{}', u.at, u.at, CASE WHEN u.st IN ('solved', 'closed') THEN u.at END
                   FROM unnest($2::uuid[], $3::bigint[], $4::bytea[], $5::bytea[], $6::text[], $7::timestamptz[]) AS u(id, nice, s, d, st, at)`,
                  [tenantId, tk.id, tk.nice, tk.s, tk.d, tk.st, tk.at, owner],
                );
                await c.query(`INSERT INTO search_documents (tenant_id, ticket_id, nice_id, internal, length) SELECT $1, * FROM unnest($2::uuid[], $3::bigint[], $4::bool[], $5::int[])`, [tenantId, dc.id, dc.nice, dc.internal, dc.len]);
                await c.query(`INSERT INTO search_postings (tenant_id, term, nice_id, internal, tf, len) SELECT $1, * FROM unnest($2::bytea[], $3::bigint[], $4::bool[], $5::int[], $6::smallint[])`, [tenantId, po.term, po.nice, po.internal, po.tf, po.len]);
                await c.query(`INSERT INTO search_pair_sets (tenant_id, nice_id, internal, pairs) SELECT $1, * FROM unnest($2::bigint[], $3::bool[], $4::bytea[])`, [tenantId, pa.nice, pa.internal, pa.pairs]);
                await c.query("COMMIT");
              } finally {
                c.release();
              }
            })(),
            basePool.query(`INSERT INTO fts_tickets (tenant_id, id, nice_id, subject, body) SELECT $1, * FROM unnest($2::uuid[], $3::bigint[], $4::text[], $5::text[])`, [tenantId, fts.id, fts.nice, fts.subject, fts.body]),
          );
          await flushSome(4);
        }
        step(`seeded tenant ${tenants.indexOf(t)} (${t.share} tickets), ${Math.round((Date.now() - seedStart) / 1000)} s`);
        if (tenants.indexOf(t) === 0) step(`big tenant: ${postings} postings so far`);
      }
      await flushSome(0);
      step(`rows loaded in ${round((Date.now() - seedStart) / 1000)} s (${postings} postings, ${pairs} pairs); building indexes`);
      const built = Promise.all([
        (async () => {
          for (const r of idx.rows) {
            if (r.con) {
              const cols = r.def.slice(r.def.indexOf("(")); // "(tenant_id, term, …)" of the primary key
              await pool.query(`ALTER TABLE search_postings ADD CONSTRAINT ${r.con} PRIMARY KEY ${cols}`);
            } else await pool.query(r.def);
          }
          await pool.query("VACUUM (ANALYZE)");
        })(),
        (async () => {
          await basePool.query("SET maintenance_work_mem = '512MB'");
          await basePool.query(`CREATE INDEX fts_tickets_doc ON fts_tickets USING gin (tenant_id, doc)`);
          await basePool.query("VACUUM (ANALYZE) fts_tickets");
        })(),
      ]);
      await built;
      // The freshly built indexes' pages written out before anything is timed, as in a database at
      // rest: otherwise the checkpoint after them writes gigabytes while the queries run (backends
      // wrote buffers of their own in EXPLAIN, and queries ran ~3× slower than on the same database later).
      await pool.query("CHECKPOINT");
      await basePool.query("CHECKPOINT");
      const seedSeconds = round((Date.now() - started) / 1000);
      step(`seeded and indexed in ${seedSeconds} s`);

      const size = (await pool.query<{ b: string }>(`SELECT (pg_total_relation_size('search_postings') + pg_total_relation_size('search_pair_sets') + pg_total_relation_size('search_documents'))::text AS b`)).rows[0]!.b;
      const bsize = (await basePool.query<{ b: string }>(`SELECT (pg_relation_size('fts_tickets_doc') + (SELECT sum(pg_column_size(doc)) FROM fts_tickets))::text AS b`)).rows[0]!.b;
      const candidates = [...df.entries()].sort((a, b) => b[1] - a[1]).slice(0, 300).map(([w]) => w);
      const stopWords = new Set((await basePool.query<{ w: string }>(`SELECT w FROM unnest($1::text[]) AS w WHERE numnode(plainto_tsquery('english', w)) = 0 OR numnode(plainto_tsquery('swedish', w)) = 0`, [candidates])).rows.map((x) => x.w));
      const queries = buildQueries(sample, df, BIG, stopWords, rng(7));
      step(`queries: ${JSON.stringify(queries)}`);
      await rt.close().catch(() => {});
      // BENCH_AUTO_EXPLAIN=<ms>: the server's statements slower than that are logged with their plans
      // (auto_explain, in PostgreSQL's log), as they ran (bench/README.md, "Search").
      if (process.env.BENCH_AUTO_EXPLAIN) {
        const ms = Number(process.env.BENCH_AUTO_EXPLAIN);
        if (!Number.isFinite(ms) || ms < 0) throw new Error("BENCH_AUTO_EXPLAIN: milliseconds");
        const name = new URL(main.url).pathname.slice(1);
        for (const setting of [`session_preload_libraries = 'auto_explain'`, `auto_explain.log_min_duration = ${ms}`, `auto_explain.log_analyze = on`, `auto_explain.log_timing = off`, `auto_explain.log_buffers = on`])
          await pool.query(`ALTER DATABASE ${name} SET ${setting}`);
      }

      // ---- Over real HTTP against a real server process.
      server = await startServer(dataDir, env);
      const srv = server;
      const host = "big.localhost";
      const enc = encodeURIComponent;
      const url = (q: string) => `/api/v2/search.json?query=${enc(q)}&page[size]=25`;
      const baseSql = BASE_SQL;
      const kinds = Object.keys(queries).filter((k) => queries[k]!.length > 0);
      const lat: Record<string, number[]> = Object.fromEntries(kinds.map((k) => [k, []]));
      const blat: Record<string, number[]> = Object.fromEntries(kinds.map((k) => [k, []]));
      const hits: Record<string, number[]> = Object.fromEntries(kinds.map((k) => [k, []]));
      const bhits: Record<string, number[]> = Object.fromEntries(kinds.map((k) => [k, []]));
      step(`warm-up`);
      for (const k of kinds) for (const q of queries[k]!) {
        const r = await call(srv.port, host, bigToken, "GET", url(q));
        if (r.status !== 200) throw new Error(`search ${q} answered ${r.status}: ${JSON.stringify(r.body)}`);
        await basePool.query(baseSql, [bigId, q]);
      }
      step(`${SAMPLES} rounds of ${kinds.length} kinds, one at a time, Vaultdesk and baseline alternating`);
      const floorUrl = `/api/v2/search.json?query=${enc("status:new")}&sort_by=created_at&page[size]=25`;
      const floorLat: number[] = [];
      const floorHits: number[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        const f0 = performance.now();
        const fr = await call(srv.port, host, bigToken, "GET", floorUrl);
        floorLat.push(performance.now() - f0);
        floorHits.push(fr.body.results.length);
        for (const k of kinds) {
          const q = queries[k]![i % queries[k]!.length]!;
          let t0 = performance.now();
          const r = await call(srv.port, host, bigToken, "GET", url(q));
          lat[k]!.push(performance.now() - t0);
          if (r.status !== 200) throw new Error(`search ${q} answered ${r.status}`);
          hits[k]!.push(r.body.results.length);
          t0 = performance.now();
          const b = await basePool.query(baseSql, [bigId, q]);
          blat[k]!.push(performance.now() - t0);
          bhits[k]!.push(b.rowCount ?? 0);
        }
      }
      const latency = Object.fromEntries(kinds.map((k) => [k, stats(lat[k]!, hits[k]!)]));
      const baseline = Object.fromEntries(kinds.map((k) => [k, stats(blat[k]!, bhits[k]!)]));
      const ratio = Object.fromEntries(kinds.map((k) => [k, { p50: round(latency[k]!.p50_ms / baseline[k]!.p50_ms, 2), p95: round(latency[k]!.p95_ms / baseline[k]!.p95_ms, 2), p99: round(latency[k]!.p99_ms / baseline[k]!.p99_ms, 2) }]));
      step(`the same queries' SQL alone, in this process, alternating with the baseline's`);
      const sqlOnly = await sqlLatency(cfg, bigId, queries, kinds, basePool, baseSql, opts.quick ? 10 : 20);

      // ---- Name prefixes (type:user name:ad*): people created through the API, then queried.
      const PEOPLE = Math.min(50_000, Math.max(2_000, Math.round(BIG / 6)));
      step(`name prefixes: creating ${PEOPLE} people through the API`);
      await basePool.query(`CREATE TABLE fts_people (tenant_id uuid NOT NULL, nice_id bigint NOT NULL, name text NOT NULL, email text NOT NULL,
        doc tsvector GENERATED ALWAYS AS (to_tsvector('simple', name || ' ' || translate(email, '@.', '  '))) STORED, PRIMARY KEY (tenant_id, nice_id))`);
      await basePool.query(`CREATE INDEX fts_people_doc ON fts_people USING gin (tenant_id, doc)`);
      const pr = rng(11);
      let madePeople = 0;
      const p0 = performance.now();
      await Promise.all(Array.from({ length: 8 }, async () => {
        while (madePeople < PEOPLE) {
          const i = madePeople++;
          const name = `${GIVEN[Math.floor(pr() * GIVEN.length)]} ${FAMILY[Math.floor(pr() * FAMILY.length)]}`;
          const email = `person${i}@example${i % 50}.test`;
          const r = await call(srv.port, host, bigToken, "POST", "/api/v2/users.json", { user: { name, email } });
          if (r.status !== 201) throw new Error(`user create answered ${r.status}: ${JSON.stringify(r.body)}`);
          await basePool.query(`INSERT INTO fts_people (tenant_id, nice_id, name, email) VALUES ($1, $2, $3, $4)`, [bigId, r.body.user.id, name, email]);
          // As autovacuum's analyze would as the table grows (a server may run with it off, as
          // this machine's does): with statistics of an empty tenant, the check of each name
          // term's foreign key to users walked the tenant's people by another index (10 ms each
          // at 37,000 people, and the load slowed to 14 a second).
          if ((i + 1) % 5000 === 0) await pool.query(`ANALYZE users, search_user_names`);
        }
      }));
      const peopleRate = round(PEOPLE / ((performance.now() - p0) / 1000));
      await basePool.query(`VACUUM ANALYZE fts_people`);
      // As autovacuum would soon after such a load (the run is quicker than its naptime): without
      // statistics the planner takes the new people for one row and walks them all by id.
      await pool.query(`VACUUM ANALYZE users, search_user_names`);
      const peopleUrl = (p: string) => `/api/v2/search.json?query=${enc(`type:user name:${p}*`)}&page[size]=25`;
      const peopleSql = `SELECT nice_id, name FROM fts_people WHERE tenant_id = $1 AND doc @@ to_tsquery('simple', $2 || ':*') ORDER BY nice_id LIMIT 25`;
      for (const p of PREFIXES) {
        const r = await call(srv.port, host, bigToken, "GET", peopleUrl(p));
        if (r.status !== 200) throw new Error(`people search ${p} answered ${r.status}: ${JSON.stringify(r.body)}`);
        await basePool.query(peopleSql, [bigId, p]);
      }
      const nl: number[] = [];
      const nh: number[] = [];
      const nbl: number[] = [];
      const nbh: number[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        for (const p of PREFIXES) {
          let t0 = performance.now();
          const r = await call(srv.port, host, bigToken, "GET", peopleUrl(p));
          nl.push(performance.now() - t0);
          nh.push(r.body.results.length);
          t0 = performance.now();
          const b = await basePool.query(peopleSql, [bigId, p]);
          nbl.push(performance.now() - t0);
          nbh.push(b.rowCount ?? 0);
        }
      }
      const nLat = stats(nl, nh);
      const nBase = stats(nbl, nbh);
      const namePrefix = {
        people: PEOPLE,
        create_per_s: peopleRate,
        prefixes: PREFIXES,
        latency: nLat,
        baseline: nBase,
        ratio: { p50: round(nLat.p50_ms / nBase.p50_ms, 2), p95: round(nLat.p95_ms / nBase.p95_ms, 2), p99: round(nLat.p99_ms / nBase.p99_ms, 2) },
      };
      step(`name prefixes: ${JSON.stringify(namePrefix)}`);

      // ---- Create rate: the same realistic text through two servers on the same database, one with
      // indexing and one without (VAULTDESK_BENCH_ONLY_SKIP_SEARCH_INDEX), in alternating rounds.
      const off = await startServer(dataDir, { ...env, VAULTDESK_BENCH_ONLY_SKIP_SEARCH_INDEX: "1" });
      const cgen = textGenerator(77);
      const create = async (indexed: boolean) => {
        const g = cgen();
        const ticket = { subject: g.subject, comment: { body: g.comments.map((c) => c.text).join("\n\n") } };
        const r = await call(indexed ? srv.port : off.port, host, bigToken, "POST", "/api/v2/tickets.json", { ticket });
        if (r.status !== 201) throw new Error(`create answered ${r.status}: ${JSON.stringify(r.body)}`);
      };
      const CONC = 4;
      const rounds = 4;
      const per = Math.round(CREATES / rounds);
      let onS = 0;
      let offS = 0;
      for (let w = 0; w < 20; w++) await create(w % 2 === 0);
      for (let round_ = 0; round_ < rounds; round_++) {
        for (const indexed of round_ % 2 === 0 ? [true, false] : [false, true]) {
          const t0 = performance.now();
          let next = 0;
          await Promise.all(Array.from({ length: CONC }, async () => {
            while (next < per) {
              next++;
              await create(indexed);
            }
          }));
          const s = (performance.now() - t0) / 1000;
          if (indexed) onS += s;
          else offS += s;
        }
      }
      await stop(off);
      const createR = { indexed_per_s: round((per * rounds) / onS), not_indexed_per_s: round((per * rounds) / offS), ratio: round(offS / onS, 2), creates_each: per * rounds };
      step(`create: ${JSON.stringify(createR)}`);
      await stop(srv);
      server = undefined;

      // ---- EXPLAIN (ANALYZE, BUFFERS) of each kind's slowest query, as the server builds it.
      await explainSlowest(cfg, bigId, kinds.map((k) => ({ kind: k, q: queries[k]![lat[k]!.indexOf(Math.max(...lat[k]!)) % queries[k]!.length]! })), basePool, baseSql, opts.label);

      return {
        tickets: TICKETS,
        tenants: TENANTS,
        big_tenant_tickets: BIG,
        seed_seconds: seedSeconds,
        postings,
        pairs,
        index_bytes_per_ticket: Math.round(Number(size) / TICKETS),
        baseline_index_bytes_per_ticket: Math.round(Number(bsize) / TICKETS),
        samples: SAMPLES,
        latency,
        baseline,
        ratio,
        sql: sqlOnly,
        create: createR,
        floor: stats(floorLat, floorHits),
        queries,
        name_prefix: namePrefix,
      };
    } finally {
      await rt.close().catch(() => {});
    }
  } finally {
    if (server) await stop(server);
    await pool.end();
    await basePool.end();
    if (process.env.BENCH_KEEP_DATABASES === "1") {
      // For studying plans afterwards (bench/README.md): both databases stay, with what opens them.
      console.log(`kept: DATABASE_URL=${main.url} VAULTDESK_MASTER_KEY=${env.VAULTDESK_MASTER_KEY} baseline=${base.url}`);
      await main.keep();
      await base.keep();
    } else {
      await main.drop();
      await base.drop();
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function stop(s: ServerProcess) {
  s.child.kill("SIGTERM");
  await s.exited;
}

/**
 * A relevance page as tickets-repo listTickets runs it (the tickets alone, the text match joined
 * in, best first, 25 and one more); its display joins follow for the page's rows only.
 */
export function relevancePage(tx: TenantTx, tenantId: string, matching: ReturnType<TextMatch>) {
  return tx.db
    .selectFrom("tickets as t")
    .select(["t.id", "t.nice_id"])
    .where("t.tenant_id", "=", tenantId)
    .where("t.deleted_at", "is", null)
    .innerJoin(matching.as("hit"), (j) => j.onRef("hit.nice_id", "=", "t.nice_id"))
    .orderBy(sql`hit.score`, "desc")
    .orderBy("t.nice_id", "desc")
    .limit(26);
}

/** The baseline's query: PostgreSQL's own full-text search over the text in clear, top 25 by ts_rank ($1 tenant, $2 the query). */
export const BASE_SQL = `SELECT id, nice_id, subject FROM fts_tickets WHERE tenant_id = $1 AND doc @@ (websearch_to_tsquery('english', $2) || websearch_to_tsquery('swedish', $2))
  ORDER BY ts_rank(doc, websearch_to_tsquery('english', $2) || websearch_to_tsquery('swedish', $2)) DESC, nice_id DESC LIMIT 25`;

/** The route's search statements for one query, in the tenant's transaction: milliseconds and rows of the page (bench `sql`). */
async function timeRoute(ctx: ReturnType<typeof makeContext>, tenantId: string, q: string): Promise<{ ms: number; rows: number }> {
  const parts = [...q.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
  const t0 = performance.now();
  const m = await textMatch(ctx, parts, true, undefined);
  if (!m) throw new Error(`no words in ${q}`);
  const top = pruneTop(26);
  let page = await relevancePage(ctx.tx, tenantId, m(true, m.prunable(top) ? top : undefined)).execute();
  // A pruned page that came back short is asked again of every match (tickets-repo.ts listTickets).
  if (m.prunable(top) && page.length < 26) page = await relevancePage(ctx.tx, tenantId, m(true, undefined)).execute();
  return { ms: performance.now() - t0, rows: page.length };
}

/** `sql` of the results: each kind's queries, `rounds` times, the route's statements and the baseline's alternating. */
export async function sqlLatency(cfg: ReturnType<typeof loadConfig>, tenantId: string, queries: Record<string, string[]>, kinds: string[], basePool: pg.Pool, baseSql: string, rounds: number): Promise<SearchResult["sql"]> {
  const rt = await openRuntime(cfg, { migrate: false });
  const ours: Record<string, number[]> = Object.fromEntries(kinds.map((k) => [k, []]));
  const theirs: Record<string, number[]> = Object.fromEntries(kinds.map((k) => [k, []]));
  const ourRows: Record<string, number[]> = Object.fromEntries(kinds.map((k) => [k, []]));
  const theirRows: Record<string, number[]> = Object.fromEntries(kinds.map((k) => [k, []]));
  try {
    for (let i = 0; i < rounds; i++) {
      for (const k of kinds) for (const q of queries[k]!) {
        const r = await rt.db.tenant(tenantId, async (tx) => timeRoute(makeContext({ tx, sealer: await rt.keyring.sealerFor(tx), actor: { kind: "operator" }, requestId: "bench", now: () => new Date() }), tenantId, q));
        const t0 = performance.now();
        const b = await basePool.query(baseSql, [tenantId, q]);
        if (i === 0) continue; // warm-up round
        ours[k]!.push(r.ms);
        ourRows[k]!.push(Math.min(r.rows, 25));
        theirs[k]!.push(performance.now() - t0);
        theirRows[k]!.push(b.rowCount ?? 0);
      }
    }
  } finally {
    await rt.close();
  }
  const latency = Object.fromEntries(kinds.map((k) => [k, stats(ours[k]!, ourRows[k]!)]));
  const baseline = Object.fromEntries(kinds.map((k) => [k, stats(theirs[k]!, theirRows[k]!)]));
  const ratio = Object.fromEntries(kinds.map((k) => [k, { p50: round(latency[k]!.p50_ms / baseline[k]!.p50_ms, 2), p95: round(latency[k]!.p95_ms / baseline[k]!.p95_ms, 2), p99: round(latency[k]!.p99_ms / baseline[k]!.p99_ms, 2) }]));
  return { rounds: rounds - 1, latency, baseline, ratio };
}

/** The query the search route runs (ticket columns, the text match joined in, relevance order, one page), explained. */
async function explainSlowest(cfg: ReturnType<typeof loadConfig>, tenantId: string, cases: Array<{ kind: string; q: string }>, basePool: pg.Pool, baseSql: string, label: string) {
  const rt = await openRuntime(cfg, { migrate: false });
  let text = "";
  try {
    for (const c of cases) {
      const plan = await rt.db.tenant(tenantId, async (tx) => {
        const sealer = await rt.keyring.sealerFor(tx);
        const ctx = makeContext({ tx, sealer, actor: { kind: "operator" }, requestId: "bench", now: () => new Date() });
        const parts = [...c.q.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
        // As the route asks first: a single word's best matches alone when it has more (search-service.ts pruneTop).
        const m = (await textMatch(ctx, parts, true, undefined))!;
        const matching = m(true, m.prunable(pruneTop(26)) ? pruneTop(26) : undefined);
        return (await relevancePage(tx, tenantId, matching).explain(undefined, sql`analyze, buffers`)).map((r) => String(Object.values(r)[0])).join("\n");
      });
      const b = await basePool.query(`EXPLAIN (ANALYZE, BUFFERS) ${baseSql}`, [tenantId, c.q]);
      text += `=== ${c.kind}: ${c.q}\n--- Vaultdesk (search_postings)\n${plan}\n--- baseline (tsvector + GIN)\n${b.rows.map((r: Record<string, string>) => Object.values(r)[0]).join("\n")}\n\n`;
    }
  } finally {
    await rt.close();
  }
  fs.mkdirSync("bench/results", { recursive: true });
  fs.writeFileSync(`bench/results/search-explain${label}.txt`, text);
}
