/**
 * Keys asked for during one event-loop turn, looked up together when it ends (setImmediate),
 * in one call of `loadMany`. On PostgreSQL every query is a round trip through the pool: under
 * load, one `= ANY($1)` query for the turn's lookups replaces one query each.
 *
 * Each key's answer comes from a read that started after it was asked for. If `loadMany` fails,
 * every key of that turn fails with its error.
 *
 * @example
 * const byId = new TurnBatch((ids) => fetchPersons(pool, ids)); // resolves to a Map by id
 * const [a, b] = await Promise.all([byId.load('001190000123'), byId.load('079203012345')]);
 */
export class TurnBatch<K, V> {
  private waiting = new Map<K, { readonly resolve: (value: V | undefined) => void; readonly reject: (reason: unknown) => void }[]>();
  private scheduled = false;

  constructor(private readonly loadMany: (keys: readonly K[]) => Promise<ReadonlyMap<K, V>>) {}

  load(key: K): Promise<V | undefined> {
    return new Promise<V | undefined>((resolve, reject) => {
      const list = this.waiting.get(key);
      if (list === undefined) this.waiting.set(key, [{ resolve, reject }]);
      else list.push({ resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.flush);
      }
    });
  }

  private readonly flush = (): void => {
    const waiting = this.waiting;
    this.waiting = new Map();
    this.scheduled = false;
    Promise.resolve()
      .then(() => this.loadMany([...waiting.keys()]))
      .then(
        (found) => {
          for (const [key, list] of waiting) for (const w of list) w.resolve(found.get(key));
        },
        (error: unknown) => {
          for (const list of waiting.values()) for (const w of list) w.reject(error);
        },
      );
  };
}
