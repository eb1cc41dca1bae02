/**
 * The uploads of the files chosen in a FilePicker (Files.tsx), and a form waiting for them: no
 * React and no API here (a unit test imports it).
 */
/** A file chosen in a FilePicker, and how its upload stands. */
export type PickedFile = { key: string; name: string; size: number; state: "uploading" | "ready" | "failed"; token?: string; error?: string };

/** How a chosen file's upload ended: arrived, failed, or stopped because the person removed the file. */
export type Arrival = { state: "ready"; token: string } | { state: "failed"; error: string } | { state: "removed" };
/**
 * Each chosen file's upload by its key, with the means to stop it. An entry stays after it ends (a
 * form's state may still say "uploading" for a moment), until its file is removed: a few per page.
 */
const arrivals = new Map<string, { arrival: Promise<Arrival>; stop: () => void }>();
/** The keys of files the person removed (a few per page): a form waiting on uploads leaves them out. */
const removedKeys = new Set<string>();

/** Starts tracking a chosen file's upload under its key: how it ends, and the means to stop it. */
export function trackUpload(key: string, send: (signal: AbortSignal) => Promise<{ token: string }>, explain: (err: unknown) => string): Promise<Arrival> {
  const stopper = new AbortController();
  const arrival = send(stopper.signal).then(
    (u): Arrival => ({ state: "ready", token: u.token }),
    (err: unknown): Arrival => (stopper.signal.aborted ? { state: "removed" } : { state: "failed", error: explain(err) }),
  );
  arrivals.set(key, { arrival, stop: () => stopper.abort() });
  return arrival;
}

/** The person removed the file: its upload, if still on its way, stops, and no form sends it. */
export function forgetUpload(key: string): void {
  removedKeys.add(key);
  arrivals.get(key)?.stop();
  arrivals.delete(key);
}

/**
 * The tokens to send once every upload still on its way has ended: a form sent while a file is
 * uploading waits for it rather than asking the person to send again, and removing the file meanwhile
 * (an upload that hangs) lets it go without. `null` when one of those failed meanwhile (its line in
 * the picker says why), so nothing is sent short of a file the person did not see fail. Files that
 * had failed before stay out, as the picker shows.
 */
export async function uploadsWhenDone(files: readonly PickedFile[]): Promise<string[] | null> {
  const ended = await Promise.all(files.map((f) => (f.state === "uploading" ? arrivals.get(f.key)?.arrival : undefined)));
  if (ended.some((a) => a?.state === "failed")) return null;
  if (files.some((f, i) => f.state === "uploading" && ended[i] === undefined)) return null;
  // A file removed while the form waited (one that had arrived as well as one still on its way) is
  // not sent: the form's list was read when it was sent, before the person removed it.
  return files.flatMap((f, i) => {
    if (removedKeys.has(f.key)) return [];
    const a = ended[i];
    if (a) return a.state === "ready" ? [a.token] : [];
    return f.state === "ready" && f.token ? [f.token] : [];
  });
}
