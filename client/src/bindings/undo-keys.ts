/** Keyboard shortcuts for undo and redo: Ctrl/Cmd+Z, Ctrl/Cmd+Shift+Z and Ctrl/Cmd+Y. */
export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

export function undoShortcut(event: KeyLike): 'undo' | 'redo' | undefined {
  if (!(event.ctrlKey || event.metaKey) || event.altKey) return undefined;
  const key = event.key.toLowerCase();
  if (key === 'z') return event.shiftKey ? 'redo' : 'undo';
  if (key === 'y' && !event.shiftKey) return 'redo';
  return undefined;
}

/** Where the caret goes after applying a delta: after its last insert, or at its last delete or format. */
export function lastChangeIndex(ops: ReadonlyArray<{ insert?: unknown; delete?: number; retain?: unknown; attributes?: unknown }>): number {
  let index = 0;
  let changed = 0;
  for (const op of ops) {
    if (op.insert !== undefined) {
      index += typeof op.insert === 'string' ? op.insert.length : 1;
      changed = index;
    } else if (op.delete !== undefined) {
      changed = index;
    } else if (typeof op.retain === 'number') {
      index += op.retain;
      if (op.attributes) changed = index;
    } else if (op.retain !== undefined) {
      index += 1;
      if (op.attributes) changed = index;
    }
  }
  return changed;
}
