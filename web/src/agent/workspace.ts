import { createContext, useContext } from "react";
import type { User } from "./model.ts";

/** What every workspace page may need: who is signed in, and a way to refresh the view counts. */
export type Workspace = { me: User; refreshCounts: () => void };
export const WorkspaceContext = createContext<Workspace | null>(null);

export function useWorkspace(): Workspace {
  const w = useContext(WorkspaceContext);
  if (!w) throw new Error("useWorkspace outside the workspace");
  return w;
}
