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
