import { describe, expect, it } from "vitest";
import { AppError } from "../../platform/errors.ts";
import { parseQuery, PRIORITIES, valuesMatching } from "./search-fns.ts";

describe("search syntax", () => {
  it("parses structured filters", () => {
    expect(parseQuery('type:ticket status<solved assignee:me tags:vip -tags:spam requester:ada@x.test created>2026-01-01 priority:high')).toEqual([
      { kind: "type", value: "ticket" },
      { kind: "status", op: "<", value: "solved" },
      { kind: "assignee", value: "me" },
      { kind: "tags", value: "vip", negate: false },
      { kind: "tags", value: "spam", negate: true },
      { kind: "requester", value: "ada@x.test" },
      { kind: "created", op: ">", value: "2026-01-01" },
      { kind: "priority", op: ":", value: "high" },
    ]);
  });
  it("parses people's fields: name: and email: (quoted: several words), prefixes kept", () => {
    expect(parseQuery('type:user ad* name:"ada lov*" email:ada@x.test')).toEqual([
      { kind: "type", value: "user" },
      { kind: "text", value: "ad*", phrase: false },
      { kind: "name", value: "ada lov*" },
      { kind: "email", value: "ada@x.test" },
    ]);
    expect(parseQuery('type:organization name:""')).toEqual([{ kind: "type", value: "organization" }]);
  });
  it("compares priorities and statuses by rank, not alphabetically", () => {
    expect(valuesMatching(PRIORITIES, ">", "normal")).toEqual(["high", "urgent"]);
    expect(valuesMatching(PRIORITIES, "<", "normal")).toEqual(["low"]);
    expect(valuesMatching(PRIORITIES, "<=", "high")).toEqual(["low", "normal", "high"]);
    expect(valuesMatching(PRIORITIES, ":", "urgent")).toEqual(["urgent"]);
    expect(parseQuery("priority>normal")).toEqual([{ kind: "priority", op: ">", value: "normal" }]);
    expect(() => parseQuery("priority:critical")).toThrow(AppError);
  });
  it("takes free words and quoted phrases as text, beside filters", () => {
    expect(parseQuery('printer "paper jam" status:open "ERR:42" -tags:spam 印刷機')).toEqual([
      { kind: "text", value: "printer", phrase: false },
      { kind: "text", value: "paper jam", phrase: true },
      { kind: "status", op: ":", value: "open" },
      { kind: "text", value: "ERR:42", phrase: true },
      { kind: "tags", value: "spam", negate: true },
      { kind: "text", value: "印刷機", phrase: false },
    ]);
    expect(parseQuery('"" "unterminated phrase')).toEqual([
      { kind: "text", value: "unterminated", phrase: false },
      { kind: "text", value: "phrase", phrase: false },
    ]);
    expect(parseQuery("-")).toEqual([{ kind: "text", value: "-", phrase: false }]);
  });
  it("refuses excluded words and unknown keywords with a reason", () => {
    expect(() => parseQuery("printer -broken")).toThrow(AppError);
    expect(() => parseQuery("colour:blue")).toThrow(AppError);
    expect(() => parseQuery("status:sideways")).toThrow(AppError);
    expect(() => parseQuery("created>yesterday-ish")).toThrow(AppError);
    expect(() => parseQuery("-status:closed")).toThrow(AppError);
    expect(() => parseQuery("-assignee:me")).toThrow(AppError);
    expect(() => parseQuery("assignee:99999999999999999999")).toThrow(AppError);
    expect(() => parseQuery("group:9007199254740993")).toThrow(AppError);
    expect(parseQuery("group:9007199254740991")).toEqual([{ kind: "group", value: "9007199254740991" }]);
  });
});
