import type { Category } from "../../src/classify/types.js";

/** The SageMaker AI server's operations and their categories, as labelled in test/fixtures/README.md. */
export const SAGEMAKER_OPERATIONS: [tool: string, operation: string, category: Category][] = [
  ["manage_hyperpod_cluster_nodes", "list_clusters", "read"],
  ["manage_hyperpod_cluster_nodes", "list_nodes", "read"],
  ["manage_hyperpod_cluster_nodes", "describe_node", "read"],
  ["manage_hyperpod_cluster_nodes", "update_software", "write"],
  ["manage_hyperpod_cluster_nodes", "batch_delete", "destructive"],
  ["manage_hyperpod_stacks", "describe", "read"],
  ["manage_hyperpod_stacks", "deploy", "write"],
  ["manage_hyperpod_stacks", "delete", "destructive"],
];

/** Its single-purpose tools, as labelled there. */
export const SAGEMAKER_SINGLE_TOOLS: [tool: string, category: Category][] = [
  ["describe_hp_cluster", "read"],
  ["update_hp_cluster", "write"],
];

/** No credentials, and no instance-metadata look-ups (this machine has no network beyond the registries). */
export const NO_AWS = {
  AWS_ACCESS_KEY_ID: "",
  AWS_SECRET_ACCESS_KEY: "",
  AWS_SESSION_TOKEN: "",
  AWS_PROFILE: "",
  AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/credentials",
  AWS_CONFIG_FILE: "/nonexistent/config",
  AWS_EC2_METADATA_DISABLED: "true",
};
