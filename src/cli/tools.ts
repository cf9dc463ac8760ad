/** Placeholder until the command lands. */
export async function toolsCommand(_serverCommand: string[] | null, _flags: object): Promise<number> {
  process.stderr.write("policylayer: tools is not built yet\n");
  return 2;
}
