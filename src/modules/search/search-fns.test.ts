import { describe, expect, it } from "vitest";
import { AppError } from "../../platform/errors.ts";
import { parseQuery } from "./search-fns.ts";

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
      { kind: "priority", value: "high" },
    ]);
  });
  it("refuses free text and unknown keywords with a reason", () => {
    expect(() => parseQuery("printer broken")).toThrow(AppError);
    expect(() => parseQuery("colour:blue")).toThrow(AppError);
    expect(() => parseQuery("status:sideways")).toThrow(AppError);
    expect(() => parseQuery("created>yesterday-ish")).toThrow(AppError);
  });
});
