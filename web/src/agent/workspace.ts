import { createContext, useContext } from "react";
import type { Abilities, User } from "../api-schema.ts";

/** Staff tickets can be assigned to, and groups: loaded once for filters, pickers and names. */
export type Pickers = { agents: User[]; groups: Array<{ id: number; name: string }> };

/**
 * What every workspace page may need: who is signed in, what they may do (as the server says),
 * the pickers' lists, and a way to refresh the view counts.
 */
export type Workspace = { me: User; abilities: Abilities; pickers: Pickers | null; refreshCounts: () => void };
export const WorkspaceContext = createContext<Workspace | null>(null);

export function useWorkspace(): Workspace {
  const w = useContext(WorkspaceContext);
  if (!w) throw new Error("useWorkspace outside the workspace");
  return w;
}
