/** Placeholders until the approval inbox lands. */
export async function approvalsCommand(_flags: object): Promise<number> {
  process.stderr.write("policylayer: approvals is not built yet\n");
  return 2;
}
export async function approveCommand(_id: string): Promise<number> {
  return approvalsCommand({});
}
export async function denyCommand(_id: string, _flags: object): Promise<number> {
  return approvalsCommand({});
}
