/**
 * Officers by name: pages that show who acted (alerts, a task's history and comments) ask the
 * server for the display names of the ids they hold, once per set of ids.
 */
import { useApi } from './context.js';

interface OfficerNames { readonly items: readonly { readonly officerId: string; readonly displayName: string }[] }

/** The display name of each known officer id (an unknown id, such as a script's, is not in the map). */
export function useOfficerNames(ids: readonly string[]): ReadonlyMap<string, string> {
  const unique = [...new Set(ids.filter((id) => id !== ''))].sort().slice(0, 200);
  const query = new URLSearchParams();
  for (const id of unique) query.append('ids', id);
  const names = useApi<OfficerNames>(unique.length === 0 ? null : `/api/identity/officer-names?${query.toString()}`);
  return new Map(names.state === 'ok' ? names.data.items.map((n) => [n.officerId, n.displayName] as const) : []);
}
