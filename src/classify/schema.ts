// Defensive readers for a tool's inputSchema: it comes from the server, so nothing about its shape is assumed.

/** Whether a value is a plain JSON object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The top-level properties of an input schema, each one an object; malformed entries are skipped. */
export function schemaProperties(schema: unknown): [string, Record<string, unknown>][] {
  if (!isRecord(schema) || !isRecord(schema.properties)) return [];
  const properties: [string, Record<string, unknown>][] = [];
  for (const [name, property] of Object.entries(schema.properties)) {
    if (isRecord(property)) properties.push([name, property]);
  }
  return properties;
}

/**
 * The string enum of a property, directly or inside anyOf/oneOf branches (Pydantic writes an
 * optional enum as anyOf: [{enum}, {type: null}]); undefined if it has none or a non-string value.
 */
export function stringEnum(property: Record<string, unknown>): string[] | undefined {
  const branches = [property, ...arrayOfRecords(property.anyOf), ...arrayOfRecords(property.oneOf)];
  const values: string[] = [];
  for (const branch of branches) {
    if (!Array.isArray(branch.enum)) continue;
    for (const value of branch.enum) {
      if (typeof value !== "string") return undefined;
      if (!values.includes(value)) values.push(value);
    }
  }
  return values.length > 0 ? values : undefined;
}

/** Whether a property's value is free text (a string without an enum). */
export function isFreeText(property: Record<string, unknown>): boolean {
  if (stringEnum(property) !== undefined) return false;
  const branches = [property, ...arrayOfRecords(property.anyOf), ...arrayOfRecords(property.oneOf)];
  return branches.some((branch) => branch.type === "string");
}

/** Whether a property's value is free text or a list of free texts (sql_list: ["INSERT ...", ...]). */
export function isFreeTextOrList(property: Record<string, unknown>): boolean {
  if (isFreeText(property)) return true;
  const branches = [property, ...arrayOfRecords(property.anyOf), ...arrayOfRecords(property.oneOf)];
  return branches.some(
    (branch) => branch.type === "array" && isRecord(branch.items) && isFreeText(branch.items),
  );
}

/** A property's description, or "" if it has none. */
export function propertyDescription(property: Record<string, unknown>): string {
  return typeof property.description === "string" ? property.description : "";
}

function arrayOfRecords(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}
