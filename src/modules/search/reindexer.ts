import type { RequestContext } from "../../platform/context.ts";

/**
 * One kind of index entry the job rebuilds. `count`: how many rows it will go over (for
 * progress). `batch`: rebuilds up to `size` rows after `after` (ids in order; NO_ID at the start)
 * in the caller's transaction, locking them first and only then reading the tenant's languages
 * (`languagesForWrite`, FOR SHARE: the order every writer takes them in); answers how many it went
 * over and the last id, or undefined when none were left.
 */
export type Reindexer = {
  name: string;
  count(ctx: RequestContext): Promise<number>;
  batch(ctx: RequestContext, after: string, size: number): Promise<{ done: number; last: string } | undefined>;
};
