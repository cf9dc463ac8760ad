/** Placeholder until the command lands. */
export async function checkCommand(_serverCommand: string[] | null, _flags: object): Promise<number> {
  process.stderr.write("policylayer: check is not built yet\n");
  return 2;
}
