// Remembers every accepted request signature until it could no longer pass the skew check, so a
// replayed request is refused on any isolate. One instance per principal keeps the hot set small.
import { DurableObject } from "cloudflare:workers";
import { MAX_SKEW_SECONDS } from "./hmac";

export class ReplayGuard extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS seen (signature TEXT PRIMARY KEY, forget_at INTEGER NOT NULL)");
  }

  /** True the first time a signature is offered, false for every replay. */
  async firstUse(signature: string, signedAtSeconds: number): Promise<boolean> {
    const forgetAt = (signedAtSeconds + MAX_SKEW_SECONDS + 60) * 1000;
    const cursor = this.ctx.storage.sql.exec(
      "INSERT INTO seen (signature, forget_at) VALUES (?, ?) ON CONFLICT (signature) DO NOTHING",
      signature,
      forgetAt,
    );
    const fresh = cursor.rowsWritten > 0;
    if (fresh && (await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(forgetAt);
    return fresh;
  }

  override async alarm(): Promise<void> {
    this.ctx.storage.sql.exec("DELETE FROM seen WHERE forget_at <= ?", Date.now());
    const next = this.ctx.storage.sql.exec<{ t: number | null }>("SELECT MIN(forget_at) AS t FROM seen").one().t;
    if (next !== null) await this.ctx.storage.setAlarm(next);
  }
}
