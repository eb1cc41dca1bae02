import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import v8 from "node:v8";
import vm from "node:vm";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { BlobBody, BlobStore } from "./blob-store.ts";
import { keyringFixture, tempDir, type KeyringFixture } from "./blobs-test-support.ts";
import { createFsBlobStore } from "./fs-blob-store.ts";
import { getSealed, putSealed, resealBlob } from "./sealed-blobs.ts";

/**
 * Constant memory: 128 MiB go through put, get and re-seal while the process's memory is sampled
 * every 64 MiB and at the end. Each sample first collects garbage (and waits for array buffers to be
 * freed), so it counts what the code still holds: a design that buffered a blob, or kept its
 * segments, would hold up to its size. Bounded in memory, not timed.
 *
 * 128 MiB is sixteen times the array-buffer bound (8 MiB) and 32 MiB over the rss bound (96 MiB)
 * even with no heap growth at all: buffering the blob fails both. (It was 256 MiB; each sample's
 * collections cost most of the time in a worker whose heap holds the whole app, and the larger blob
 * proved nothing more.)
 */
const SIZE = 128 * 1024 * 1024;
const CHUNK = 64 * 1024 + 3; // not a multiple of the segment size
const SAMPLE_EVERY = 1024; // chunks: about 64 MiB (each sample collects garbage three times: slow in a worker whose heap holds the whole app)
const MiB = 1024 * 1024;

// The collector, without restarting the test worker with --expose-gc.
v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

let fx: KeyringFixture;
const temp = tempDir("memory");
beforeAll(async () => {
  fx = await keyringFixture();
});
afterAll(async () => {
  await fx?.close();
  temp.remove();
});

type Peak = { rss: number; arrayBuffers: number };

/** Memory in use once garbage is gone: the least of three readings, each after a collection. */
async function settledMemory(): Promise<{ rss: number; arrayBuffers: number }> {
  let rss = Infinity;
  let arrayBuffers = Infinity;
  for (let i = 0; i < 3; i++) {
    gc();
    await sleep(10); // array buffers are freed off the main thread, shortly after a collection
    const m = process.memoryUsage();
    rss = Math.min(rss, m.rss);
    arrayBuffers = Math.min(arrayBuffers, m.arrayBuffers);
  }
  return { rss, arrayBuffers };
}

/** Peak growth of rss and arrayBuffers over the memory in use when it starts. */
async function memoryProbe() {
  const base = await settledMemory();
  const peak: Peak = { rss: 0, arrayBuffers: 0 };
  return {
    peak,
    async sample() {
      const m = await settledMemory();
      peak.rss = Math.max(peak.rss, m.rss - base.rss);
      peak.arrayBuffers = Math.max(peak.arrayBuffers, m.arrayBuffers - base.arrayBuffers);
    },
  };
}

/** Passes `chunks` through, sampling memory every SAMPLE_EVERY of them. */
async function* sampled<T>(chunks: AsyncIterable<T>, probe: { sample(): Promise<void> }): AsyncGenerator<T> {
  let n = 0;
  for await (const c of chunks) {
    if (++n % SAMPLE_EVERY === 0) await probe.sample();
    yield c;
  }
  await probe.sample();
}

/** SIZE random bytes in fresh chunks, hashed as they go out. */
async function* source(hash: crypto.Hash): AsyncGenerator<Buffer> {
  for (let sent = 0; sent < SIZE; ) {
    const chunk = crypto.randomBytes(Math.min(CHUNK, SIZE - sent));
    sent += chunk.length;
    hash.update(chunk);
    yield chunk;
  }
}

/** A store whose writes sample memory as the sealed bytes reach it (for re-sealing, which writes internally). */
const sampledWrites = (store: BlobStore, probe: { sample(): Promise<void> }): BlobStore => ({
  ...store,
  put: (tenantId: string, key: string, body: BlobBody) => store.put(tenantId, key, sampled(body, probe)),
});

it("streams 128 MiB through put, get and re-seal in bounded memory", async () => {
  const tenant = await fx.tenant();
  const store = createFsBlobStore(path.join(temp.dir, "blobs"));
  const ref = { purpose: "exports", id: "big" } as const;
  // Sealers are taken outside the measured windows: the database (PGlite, in this process) then
  // does no work while memory is sampled.
  const v1 = await fx.sealer(tenant);

  // Warm up (code compiled, heap and allocator grown for this work) so the probes see steady state.
  const warm = crypto.randomBytes(8 * MiB);
  await putSealed(store, v1, { purpose: "exports", id: "warm-up" }, (async function* () {
    for (let at = 0; at < warm.length; at += CHUNK) yield warm.subarray(at, at + CHUNK);
  })());
  for await (const _ of await getSealed(store, v1, { purpose: "exports", id: "warm-up" }));

  const put = await memoryProbe();
  const inHash = crypto.createHash("sha256");
  const written = await putSealed(store, v1, ref, sampled(source(inHash), put), { sha256: true });
  const expected = inHash.digest("hex");
  expect(written.bytes).toBe(SIZE);
  expect(written.sha256).toBe(expected);
  expect(fs.statSync(path.join(store.root, tenant, "exports", "big")).size).toBe(written.storedBytes);

  const get = await memoryProbe();
  const outHash = crypto.createHash("sha256");
  let read = 0;
  for await (const chunk of sampled(await getSealed(store, v1, ref), get)) {
    outHash.update(chunk as Buffer);
    read += (chunk as Buffer).length;
  }
  expect(read).toBe(SIZE);
  expect(outHash.digest("hex")).toBe(expected);

  await fx.rotate(tenant);
  const v2 = await fx.sealer(tenant);
  const reseal = await memoryProbe();
  expect((await resealBlob(sampledWrites(store, reseal), v2, ref)).keyVersion).toBe(2);

  const mib = (p: Peak) => `rss +${(p.rss / MiB).toFixed(1)} MiB, arrayBuffers +${(p.arrayBuffers / MiB).toFixed(1)} MiB`;
  console.log(`128 MiB blob, peak memory held: put ${mib(put.peak)}; get ${mib(get.peak)}; re-seal ${mib(reseal.peak)}`);
  for (const p of [put.peak, get.peak, reseal.peak]) {
    // 1/16 of the blob: the store's 1 MiB write batch or read chunk, and a few segments in flight.
    expect(p.arrayBuffers).toBeLessThan(8 * MiB);
    // rss also counts heap and allocator growth, which vary run to run (0 to 58 MiB seen); buffering
    // the blob would add its 128 MiB.
    expect(p.rss).toBeLessThan(96 * MiB);
  }
}, 300_000); // bounded in memory, not in time: a loaded machine (a newcomer check beside other test runs) took over 120 s
