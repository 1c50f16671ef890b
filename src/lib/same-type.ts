/**
 * True only when A and B are the same type (plain mutual assignability would also accept `any`).
 * `true satisfies Same<A, B>` beside a schema makes a change to the schema or to the type it
 * describes fail to compile unless both change together.
 */
export type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
