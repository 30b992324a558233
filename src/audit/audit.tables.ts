/**
 * The audit module's tables; `DB` in store/database.types.ts extends this interface.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in as the module's migration lands
export interface AuditTables {}
