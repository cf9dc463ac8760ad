/**
 * Tool names and descriptions from well-known public MCP servers, each labelled with the
 * category a careful human would give it after reading only the name and the description.
 * Labels were written before the classifier was run on this table; a row the classifier
 * gets wrong stays labelled as a human would label it.
 *
 * Sources (public tool lists; descriptions paraphrased or shortened from each server):
 * - github/github-mcp-server
 * - modelcontextprotocol/servers-archived (gitlab, slack, postgres, sqlite, puppeteer, gdrive, brave-search)
 * - zereight/gitlab-mcp
 * - modelcontextprotocol/servers (filesystem, git, fetch, time)
 * - stripe/agent-toolkit (modelcontextprotocol)
 * - makenotion/notion-mcp-server
 * - jerhadf/linear-mcp-server
 * - sooperset/mcp-atlassian
 * - designcomputer/mysql_mcp_server
 * - mongodb-js/mongodb-mcp-server
 * - microsoft/playwright-mcp
 * - awslabs/mcp (aws-api, ccapi, eks, dynamodb, aws-documentation servers)
 * - cloudflare/mcp-server-cloudflare
 * - Flux159/mcp-server-kubernetes
 * - ckreiling/mcp-server-docker
 * - getsentry/sentry-mcp
 * - isaacphi/mcp-gdrive
 * - wonderwhy-er/DesktopCommanderMCP, tumf/mcp-shell-server
 * - redis/mcp-redis
 * - Azure/azure-mcp
 * - GoogleCloudPlatform/cloud-run-mcp, googleapis/genai-toolbox (BigQuery)
 * - supabase-community/supabase-mcp
 */
import type { Category } from "../../src/classify/types.js";

export interface LabelledTool {
  server: string;
  name: string;
  description: string;
  category: Category;
}

export const LABELLED_TOOLS: readonly LabelledTool[] = [
  // GitHub
  {
    server: "github",
    name: "get_me",
    description: "Get details of the authenticated GitHub user.",
    category: "read",
  },
  {
    server: "github",
    name: "get_issue",
    description: "Get details of a specific issue in a GitHub repository.",
    category: "read",
  },
  {
    server: "github",
    name: "create_issue",
    description: "Create a new issue in a GitHub repository.",
    category: "write",
  },
  {
    server: "github",
    name: "add_issue_comment",
    description: "Add a comment to a specific issue in a GitHub repository.",
    category: "write",
  },
  {
    server: "github",
    name: "list_issues",
    description: "List issues in a GitHub repository.",
    category: "read",
  },
  {
    server: "github",
    name: "update_issue",
    description: "Update an existing issue in a GitHub repository.",
    category: "write",
  },
  {
    server: "github",
    name: "search_issues",
    description: "Search for issues in GitHub repositories using issues search syntax.",
    category: "read",
  },
  {
    server: "github",
    name: "get_pull_request",
    description: "Get details of a specific pull request in a GitHub repository.",
    category: "read",
  },
  {
    server: "github",
    name: "list_pull_requests",
    description: "List pull requests in a GitHub repository.",
    category: "read",
  },
  {
    server: "github",
    name: "merge_pull_request",
    description: "Merge a pull request in a GitHub repository.",
    category: "write",
  },
  {
    server: "github",
    name: "get_pull_request_files",
    description: "Get the files changed in a specific pull request.",
    category: "read",
  },
  {
    server: "github",
    name: "create_pull_request",
    description: "Create a new pull request in a GitHub repository.",
    category: "write",
  },
  {
    server: "github",
    name: "update_pull_request_branch",
    description: "Update the branch of a pull request with the latest changes from the base branch.",
    category: "write",
  },
  {
    server: "github",
    name: "create_or_update_file",
    description:
      "Create or update a single file in a GitHub repository. If updating, you must provide the SHA of the file you want to update.",
    category: "write",
  },
  {
    server: "github",
    name: "push_files",
    description: "Push multiple files to a GitHub repository in a single commit.",
    category: "write",
  },
  {
    server: "github",
    name: "delete_file",
    description: "Delete a file from a GitHub repository.",
    category: "destructive",
  },
  {
    server: "github",
    name: "create_repository",
    description: "Create a new GitHub repository in your account.",
    category: "write",
  },
  {
    server: "github",
    name: "fork_repository",
    description: "Fork a GitHub repository to your account or specified organization.",
    category: "write",
  },
  {
    server: "github",
    name: "create_branch",
    description: "Create a new branch in a GitHub repository.",
    category: "write",
  },
  {
    server: "github",
    name: "list_commits",
    description: "Get list of commits of a branch in a GitHub repository.",
    category: "read",
  },
  {
    server: "github",
    name: "get_file_contents",
    description: "Get the contents of a file or directory from a GitHub repository.",
    category: "read",
  },
  {
    server: "github",
    name: "search_code",
    description: "Search for code across GitHub repositories.",
    category: "read",
  },
  {
    server: "github",
    name: "search_repositories",
    description: "Search for GitHub repositories.",
    category: "read",
  },
  {
    server: "github",
    name: "get_code_scanning_alert",
    description: "Get details of a specific code scanning alert in a GitHub repository.",
    category: "read",
  },
  {
    server: "github",
    name: "run_workflow",
    description: "Run an Actions workflow by workflow ID or filename.",
    category: "execute",
  },
  {
    server: "github",
    name: "rerun_workflow_run",
    description: "Re-run an entire workflow run.",
    category: "execute",
  },
  { server: "github", name: "cancel_workflow_run", description: "Cancel a workflow run.", category: "write" },
  {
    server: "github",
    name: "delete_workflow_run_logs",
    description: "Delete logs for a workflow run.",
    category: "destructive",
  },
  {
    server: "github",
    name: "get_job_logs",
    description:
      "Download logs for a specific workflow job or efficiently get all failed job logs for a workflow run.",
    category: "read",
  },
  {
    server: "github",
    name: "request_copilot_review",
    description: "Request a GitHub Copilot code review for a pull request.",
    category: "write",
  },
  {
    server: "github",
    name: "dismiss_notification",
    description: "Dismiss a notification by marking it as read or done.",
    category: "write",
  },
  {
    server: "github",
    name: "list_notifications",
    description: "Lists all GitHub notifications for the authenticated user.",
    category: "read",
  },

  // GitLab
  {
    server: "gitlab",
    name: "create_merge_request",
    description: "Create a new merge request in a GitLab project.",
    category: "write",
  },
  {
    server: "gitlab",
    name: "get_merge_request_diffs",
    description: "Get the changes/diffs of a merge request.",
    category: "read",
  },
  {
    server: "gitlab",
    name: "merge_merge_request",
    description: "Merge a merge request in a GitLab project.",
    category: "write",
  },
  {
    server: "gitlab",
    name: "delete_issue",
    description: "Delete an issue from a GitLab project.",
    category: "destructive",
  },
  {
    server: "gitlab",
    name: "list_pipelines",
    description: "List pipelines in a GitLab project with filtering options.",
    category: "read",
  },
  {
    server: "gitlab",
    name: "create_pipeline",
    description: "Create a new pipeline for a branch or tag.",
    category: "execute",
  },
  { server: "gitlab", name: "retry_pipeline", description: "Retry a failed pipeline.", category: "execute" },
  { server: "gitlab", name: "cancel_pipeline", description: "Cancel a running pipeline.", category: "write" },
  {
    server: "gitlab",
    name: "delete_label",
    description: "Delete a label from a project.",
    category: "destructive",
  },
  {
    server: "gitlab",
    name: "list_projects",
    description: "List projects accessible by the current user.",
    category: "read",
  },

  // Slack
  {
    server: "slack",
    name: "slack_list_channels",
    description: "List public channels in the workspace with pagination.",
    category: "read",
  },
  {
    server: "slack",
    name: "slack_post_message",
    description: "Post a new message to a Slack channel.",
    category: "write",
  },
  {
    server: "slack",
    name: "slack_reply_to_thread",
    description: "Reply to a specific message thread in Slack.",
    category: "write",
  },
  {
    server: "slack",
    name: "slack_add_reaction",
    description: "Add a reaction emoji to a message.",
    category: "write",
  },
  {
    server: "slack",
    name: "slack_get_channel_history",
    description: "Get recent messages from a channel.",
    category: "read",
  },
  {
    server: "slack",
    name: "slack_get_thread_replies",
    description: "Get all replies in a message thread.",
    category: "read",
  },
  {
    server: "slack",
    name: "slack_get_users",
    description: "Get a list of all users in the workspace with their basic profile information.",
    category: "read",
  },
  {
    server: "slack",
    name: "slack_get_user_profile",
    description: "Get detailed profile information for a specific user.",
    category: "read",
  },

  // Stripe
  {
    server: "stripe",
    name: "create_customer",
    description: "This tool will create a customer in Stripe.",
    category: "write",
  },
  {
    server: "stripe",
    name: "list_customers",
    description: "This tool will fetch a list of Customers from Stripe.",
    category: "read",
  },
  {
    server: "stripe",
    name: "create_product",
    description: "This tool will create a product in Stripe.",
    category: "write",
  },
  {
    server: "stripe",
    name: "list_products",
    description: "This tool will fetch a list of Products from Stripe.",
    category: "read",
  },
  {
    server: "stripe",
    name: "create_price",
    description:
      "This tool will create a price in Stripe. If a product has not already been specified, a product should be created first.",
    category: "write",
  },
  {
    server: "stripe",
    name: "list_prices",
    description: "This tool will fetch a list of Prices from Stripe.",
    category: "read",
  },
  {
    server: "stripe",
    name: "create_payment_link",
    description: "This tool will create a payment link in Stripe.",
    category: "financial",
  },
  {
    server: "stripe",
    name: "create_invoice",
    description: "This tool will create an invoice in Stripe.",
    category: "financial",
  },
  {
    server: "stripe",
    name: "create_invoice_item",
    description: "This tool will create an invoice item in Stripe.",
    category: "financial",
  },
  {
    server: "stripe",
    name: "finalize_invoice",
    description: "This tool will finalize an invoice in Stripe.",
    category: "financial",
  },
  {
    server: "stripe",
    name: "list_invoices",
    description: "This tool will fetch a list of Invoices from Stripe.",
    category: "read",
  },
  {
    server: "stripe",
    name: "retrieve_balance",
    description: "This tool will retrieve the balance from Stripe. It takes no input.",
    category: "read",
  },
  {
    server: "stripe",
    name: "create_refund",
    description: "This tool will refund a payment intent in Stripe.",
    category: "financial",
  },
  {
    server: "stripe",
    name: "list_payment_intents",
    description: "This tool will list payment intents in Stripe.",
    category: "read",
  },
  {
    server: "stripe",
    name: "list_subscriptions",
    description: "This tool will list all subscriptions in Stripe.",
    category: "read",
  },
  {
    server: "stripe",
    name: "cancel_subscription",
    description: "This tool will cancel a subscription in Stripe.",
    category: "financial",
  },
  {
    server: "stripe",
    name: "update_subscription",
    description: "This tool will update an existing subscription in Stripe, changing its items or proration.",
    category: "financial",
  },
  {
    server: "stripe",
    name: "create_coupon",
    description: "This tool will create a coupon in Stripe.",
    category: "write",
  },
  {
    server: "stripe",
    name: "list_coupons",
    description: "This tool will fetch a list of Coupons from Stripe.",
    category: "read",
  },
  {
    server: "stripe",
    name: "list_disputes",
    description: "This tool will fetch a list of disputes in Stripe.",
    category: "read",
  },
  {
    server: "stripe",
    name: "update_dispute",
    description:
      "When you receive a dispute, this tool submits evidence to help you resolve the dispute in your favor.",
    category: "financial",
  },
  {
    server: "stripe",
    name: "search_stripe_documentation",
    description:
      "This tool will take in a user question about integrating with Stripe and search the Stripe documentation.",
    category: "read",
  },

  // Notion (tools generated from the Notion API's OpenAPI description)
  { server: "notion", name: "API-get-user", description: "Retrieve a user", category: "read" },
  { server: "notion", name: "API-get-users", description: "List all users", category: "read" },
  { server: "notion", name: "API-post-search", description: "Search by title", category: "read" },
  { server: "notion", name: "API-retrieve-a-page", description: "Retrieve a page", category: "read" },
  { server: "notion", name: "API-patch-page", description: "Update page properties", category: "write" },
  { server: "notion", name: "API-post-page", description: "Create a page", category: "write" },
  { server: "notion", name: "API-delete-a-block", description: "Delete a block", category: "destructive" },
  { server: "notion", name: "API-retrieve-a-database", description: "Retrieve a database", category: "read" },
  { server: "notion", name: "API-create-a-comment", description: "Create comment", category: "write" },
  {
    server: "notion",
    name: "API-get-block-children",
    description: "Retrieve block children",
    category: "read",
  },
  {
    server: "notion",
    name: "API-patch-block-children",
    description: "Append block children",
    category: "write",
  },
  { server: "notion", name: "API-post-database-query", description: "Query a database", category: "read" },

  // Linear
  {
    server: "linear",
    name: "linear_create_issue",
    description: "Creates a new Linear issue with specified details.",
    category: "write",
  },
  {
    server: "linear",
    name: "linear_update_issue",
    description: "Updates an existing Linear issue's properties.",
    category: "write",
  },
  {
    server: "linear",
    name: "linear_search_issues",
    description: "Searches Linear issues using flexible criteria.",
    category: "read",
  },
  {
    server: "linear",
    name: "linear_get_user_issues",
    description: "Retrieves issues assigned to a user or the authenticated user.",
    category: "read",
  },
  {
    server: "linear",
    name: "linear_add_comment",
    description: "Adds a comment to an existing Linear issue.",
    category: "write",
  },

  // Atlassian
  {
    server: "atlassian",
    name: "jira_get_issue",
    description:
      "Get details of a specific Jira issue including its Epic links and relationship information.",
    category: "read",
  },
  {
    server: "atlassian",
    name: "jira_search",
    description: "Search Jira issues using JQL (Jira Query Language).",
    category: "read",
  },
  {
    server: "atlassian",
    name: "jira_create_issue",
    description: "Create a new Jira issue with optional Epic link or parent for subtasks.",
    category: "write",
  },
  {
    server: "atlassian",
    name: "jira_update_issue",
    description:
      "Update an existing Jira issue including changing status, adding Epic links, updating fields, etc.",
    category: "write",
  },
  {
    server: "atlassian",
    name: "jira_delete_issue",
    description: "Delete an existing Jira issue.",
    category: "destructive",
  },
  {
    server: "atlassian",
    name: "jira_transition_issue",
    description: "Transition a Jira issue to a new status.",
    category: "write",
  },
  {
    server: "atlassian",
    name: "jira_add_comment",
    description: "Add a comment to a Jira issue.",
    category: "write",
  },
  {
    server: "atlassian",
    name: "jira_get_transitions",
    description: "Get available status transitions for a Jira issue.",
    category: "read",
  },
  {
    server: "atlassian",
    name: "jira_add_worklog",
    description: "Add a worklog entry to a Jira issue.",
    category: "write",
  },
  {
    server: "atlassian",
    name: "jira_link_to_epic",
    description: "Link an existing issue to an epic.",
    category: "write",
  },
  {
    server: "atlassian",
    name: "jira_batch_create_issues",
    description: "Create multiple Jira issues in a batch.",
    category: "write",
  },
  {
    server: "atlassian",
    name: "confluence_search",
    description: "Search Confluence content using simple terms or CQL.",
    category: "read",
  },
  {
    server: "atlassian",
    name: "confluence_get_page",
    description: "Get content of a specific Confluence page by its ID, or by its title and space key.",
    category: "read",
  },
  {
    server: "atlassian",
    name: "confluence_create_page",
    description: "Create a new Confluence page.",
    category: "write",
  },
  {
    server: "atlassian",
    name: "confluence_update_page",
    description: "Update an existing Confluence page.",
    category: "write",
  },
  {
    server: "atlassian",
    name: "confluence_delete_page",
    description: "Delete an existing Confluence page.",
    category: "destructive",
  },

  // SQL databases
  { server: "postgres", name: "query", description: "Run a read-only SQL query", category: "read" },
  {
    server: "sqlite",
    name: "read_query",
    description: "Execute a SELECT query on the SQLite database",
    category: "read",
  },
  {
    server: "sqlite",
    name: "write_query",
    description: "Execute an INSERT, UPDATE, or DELETE query on the SQLite database",
    category: "execute",
  },
  {
    server: "sqlite",
    name: "create_table",
    description: "Create a new table in the SQLite database",
    category: "write",
  },
  {
    server: "sqlite",
    name: "list_tables",
    description: "List all tables in the SQLite database",
    category: "read",
  },
  {
    server: "sqlite",
    name: "describe_table",
    description: "Get the schema information for a specific table",
    category: "read",
  },
  {
    server: "sqlite",
    name: "append_insight",
    description: "Add a business insight to the memo",
    category: "write",
  },
  {
    server: "mysql",
    name: "execute_sql",
    description: "Execute an SQL query on the MySQL server",
    category: "execute",
  },

  // MongoDB
  {
    server: "mongodb",
    name: "find",
    description: "Run a find query against a MongoDB collection",
    category: "read",
  },
  {
    server: "mongodb",
    name: "aggregate",
    description: "Run an aggregation against a MongoDB collection",
    category: "read",
  },
  {
    server: "mongodb",
    name: "count",
    description:
      "Gets the number of documents in a MongoDB collection using db.collection.count() and query as an optional filter parameter",
    category: "read",
  },
  {
    server: "mongodb",
    name: "insert-many",
    description: "Insert an array of documents into a MongoDB collection",
    category: "write",
  },
  {
    server: "mongodb",
    name: "delete-many",
    description: "Removes all documents that match the filter from a MongoDB collection",
    category: "destructive",
  },
  {
    server: "mongodb",
    name: "drop-collection",
    description:
      "Removes a collection or view from the database. The method also removes any indexes associated with the dropped collection.",
    category: "destructive",
  },
  {
    server: "mongodb",
    name: "drop-database",
    description: "Removes the specified database, deleting the associated data files",
    category: "destructive",
  },
  {
    server: "mongodb",
    name: "update-many",
    description: "Updates all documents that match the specified filter for a collection",
    category: "write",
  },
  {
    server: "mongodb",
    name: "create-index",
    description: "Create an index for a collection",
    category: "write",
  },
  {
    server: "mongodb",
    name: "list-databases",
    description: "List all databases for a MongoDB connection",
    category: "read",
  },
  {
    server: "mongodb",
    name: "collection-schema",
    description: "Describe the schema for a collection",
    category: "read",
  },
  {
    server: "mongodb",
    name: "rename-collection",
    description: "Renames a collection in a MongoDB database",
    category: "write",
  },

  // Browsers
  { server: "puppeteer", name: "puppeteer_navigate", description: "Navigate to a URL", category: "read" },
  {
    server: "puppeteer",
    name: "puppeteer_screenshot",
    description: "Take a screenshot of the current page or a specific element",
    category: "read",
  },
  {
    server: "puppeteer",
    name: "puppeteer_click",
    description: "Click an element on the page",
    category: "write",
  },
  { server: "puppeteer", name: "puppeteer_fill", description: "Fill out an input field", category: "write" },
  {
    server: "puppeteer",
    name: "puppeteer_select",
    description: "Select an element on the page with Select tag",
    category: "write",
  },
  {
    server: "puppeteer",
    name: "puppeteer_hover",
    description: "Hover an element on the page",
    category: "read",
  },
  {
    server: "puppeteer",
    name: "puppeteer_evaluate",
    description: "Execute JavaScript in the browser console",
    category: "execute",
  },
  { server: "playwright", name: "browser_navigate", description: "Navigate to a URL", category: "read" },
  {
    server: "playwright",
    name: "browser_snapshot",
    description: "Capture accessibility snapshot of the current page, this is better than screenshot",
    category: "read",
  },
  {
    server: "playwright",
    name: "browser_click",
    description: "Perform click on a web page",
    category: "write",
  },
  {
    server: "playwright",
    name: "browser_type",
    description: "Type text into editable element",
    category: "write",
  },
  {
    server: "playwright",
    name: "browser_take_screenshot",
    description:
      "Take a screenshot of the current page. You can't perform actions based on the screenshot, use browser_snapshot for actions.",
    category: "read",
  },
  {
    server: "playwright",
    name: "browser_evaluate",
    description: "Evaluate JavaScript expression on page or element",
    category: "execute",
  },
  {
    server: "playwright",
    name: "browser_file_upload",
    description: "Upload one or multiple files",
    category: "write",
  },
  {
    server: "playwright",
    name: "browser_press_key",
    description: "Press a key on the keyboard",
    category: "write",
  },
  {
    server: "playwright",
    name: "browser_console_messages",
    description: "Returns all console messages",
    category: "read",
  },
  {
    server: "playwright",
    name: "browser_network_requests",
    description: "Returns all network requests since loading the page",
    category: "read",
  },
  {
    server: "playwright",
    name: "browser_wait_for",
    description: "Wait for text to appear or disappear or a specified time to pass",
    category: "read",
  },
  { server: "playwright", name: "browser_handle_dialog", description: "Handle a dialog", category: "write" },
  {
    server: "playwright",
    name: "browser_navigate_back",
    description: "Go back to the previous page",
    category: "read",
  },
  {
    server: "playwright",
    name: "browser_fill_form",
    description: "Fill multiple form fields",
    category: "write",
  },

  // AWS
  {
    server: "aws-api",
    name: "call_aws",
    description: "Execute AWS CLI commands with validation and proper error handling.",
    category: "execute",
  },
  {
    server: "aws-api",
    name: "suggest_aws_commands",
    description: "Suggest AWS CLI commands based on a natural language query.",
    category: "read",
  },
  {
    server: "aws-ccapi",
    name: "get_resource",
    description: "Get details of a specific AWS resource.",
    category: "read",
  },
  { server: "aws-ccapi", name: "create_resource", description: "Create an AWS resource.", category: "write" },
  {
    server: "aws-ccapi",
    name: "delete_resource",
    description: "Delete an AWS resource.",
    category: "destructive",
  },
  {
    server: "aws-eks",
    name: "apply_yaml",
    description: "Apply a Kubernetes YAML from a local file.",
    category: "write",
  },
  {
    server: "aws-eks",
    name: "get_pod_logs",
    description: "Get logs from a pod in a Kubernetes cluster.",
    category: "read",
  },
  {
    server: "aws-eks",
    name: "manage_k8s_resource",
    description:
      "Manage a single Kubernetes resource with various operations: create, replace, patch, delete, or read a resource.",
    category: "destructive",
  },
  {
    server: "aws-dynamodb",
    name: "delete_table",
    description: "Deletes a table and all of its items.",
    category: "destructive",
  },
  {
    server: "aws-dynamodb",
    name: "put_item",
    description: "Creates a new item, or replaces an old item with a new item.",
    category: "write",
  },
  {
    server: "aws-documentation",
    name: "read_documentation",
    description: "Fetch and convert an AWS documentation page to markdown format.",
    category: "read",
  },
  {
    server: "aws-documentation",
    name: "recommend",
    description: "Get content recommendations for an AWS documentation page.",
    category: "read",
  },

  // Cloudflare
  {
    server: "cloudflare",
    name: "workers_list",
    description: "List all Workers in your Cloudflare account.",
    category: "read",
  },
  {
    server: "cloudflare",
    name: "kv_namespace_create",
    description: "Create a new KV namespace.",
    category: "write",
  },
  {
    server: "cloudflare",
    name: "kv_namespace_delete",
    description: "Delete a KV namespace.",
    category: "destructive",
  },
  {
    server: "cloudflare",
    name: "d1_database_query",
    description: "Query a D1 database with SQL.",
    category: "execute",
  },
  {
    server: "cloudflare",
    name: "r2_bucket_delete",
    description: "Delete an R2 bucket.",
    category: "destructive",
  },
  {
    server: "cloudflare",
    name: "set_active_account",
    description: "Set the active account for subsequent tool calls.",
    category: "write",
  },
  {
    server: "cloudflare",
    name: "search_cloudflare_documentation",
    description: "Search the Cloudflare documentation.",
    category: "read",
  },

  // Kubernetes
  {
    server: "kubernetes",
    name: "kubectl_get",
    description: "Get or list Kubernetes resources by resource type, name, and optionally namespace.",
    category: "read",
  },
  {
    server: "kubernetes",
    name: "kubectl_describe",
    description: "Describe Kubernetes resources by resource type, name, and optionally namespace.",
    category: "read",
  },
  {
    server: "kubernetes",
    name: "kubectl_apply",
    description: "Apply a Kubernetes YAML manifest from a string or file.",
    category: "write",
  },
  {
    server: "kubernetes",
    name: "kubectl_delete",
    description: "Delete Kubernetes resources by resource type, name, labels, or from a manifest file.",
    category: "destructive",
  },
  {
    server: "kubernetes",
    name: "kubectl_logs",
    description: "Get logs from Kubernetes resources like pods, deployments, or jobs.",
    category: "read",
  },
  {
    server: "kubernetes",
    name: "kubectl_scale",
    description: "Scale a Kubernetes deployment.",
    category: "write",
  },
  {
    server: "kubernetes",
    name: "kubectl_patch",
    description:
      "Update field(s) of a resource using strategic merge patch, JSON merge patch, or JSON patch.",
    category: "write",
  },
  {
    server: "kubernetes",
    name: "exec_in_pod",
    description: "Execute a command in a Kubernetes pod or container and return the output.",
    category: "execute",
  },
  {
    server: "kubernetes",
    name: "install_helm_chart",
    description: "Install a Helm chart.",
    category: "write",
  },
  {
    server: "kubernetes",
    name: "uninstall_helm_chart",
    description: "Uninstall a Helm release.",
    category: "destructive",
  },
  {
    server: "kubernetes",
    name: "explain_resource",
    description: "Get documentation for a Kubernetes resource or field.",
    category: "read",
  },
  {
    server: "kubernetes",
    name: "cleanup",
    description: "Cleanup all managed resources.",
    category: "destructive",
  },
  {
    server: "kubernetes",
    name: "node_management",
    description: "Manage Kubernetes nodes with cordon, drain, and uncordon operations.",
    category: "destructive",
  },

  // Docker
  { server: "docker", name: "list_containers", description: "List all Docker containers.", category: "read" },
  {
    server: "docker",
    name: "create_container",
    description: "Create a new Docker container.",
    category: "write",
  },
  {
    server: "docker",
    name: "run_container",
    description: "Run an image in a new Docker container.",
    category: "execute",
  },
  { server: "docker", name: "stop_container", description: "Stop a Docker container.", category: "write" },
  {
    server: "docker",
    name: "remove_container",
    description: "Remove a Docker container.",
    category: "destructive",
  },
  {
    server: "docker",
    name: "fetch_container_logs",
    description: "Fetch logs for a Docker container.",
    category: "read",
  },
  { server: "docker", name: "pull_image", description: "Pull a Docker image.", category: "write" },
  {
    server: "docker",
    name: "build_image",
    description: "Build a Docker image from a Dockerfile.",
    category: "execute",
  },
  { server: "docker", name: "remove_image", description: "Remove a Docker image.", category: "destructive" },
  {
    server: "docker",
    name: "remove_volume",
    description: "Remove a Docker volume.",
    category: "destructive",
  },

  // Sentry
  {
    server: "sentry",
    name: "find_organizations",
    description: "Find organizations that the user has access to in Sentry.",
    category: "read",
  },
  {
    server: "sentry",
    name: "get_issue_details",
    description: "Get detailed information about a specific Sentry issue by ID.",
    category: "read",
  },
  {
    server: "sentry",
    name: "update_issue",
    description: "Update an issue's status or assignment in Sentry.",
    category: "write",
  },
  {
    server: "sentry",
    name: "search_events",
    description: "Search for events in Sentry using natural language.",
    category: "read",
  },
  {
    server: "sentry",
    name: "create_project",
    description: "Create a new project in Sentry.",
    category: "write",
  },
  {
    server: "sentry",
    name: "whoami",
    description: "Identify the authenticated user in Sentry.",
    category: "read",
  },

  // Google Drive
  { server: "gdrive", name: "search", description: "Search for files in Google Drive", category: "read" },
  {
    server: "gdrive",
    name: "gdrive_read_file",
    description: "Read contents of a file from Google Drive",
    category: "read",
  },
  {
    server: "gdrive",
    name: "gsheets_update_cell",
    description: "Update a cell value in a Google Spreadsheet",
    category: "write",
  },

  // Filesystem (names and descriptions only; the live test covers its annotations)
  {
    server: "filesystem",
    name: "read_text_file",
    description: "Read the complete contents of a file from the file system as text.",
    category: "read",
  },
  {
    server: "filesystem",
    name: "write_file",
    description:
      "Create a new file or completely overwrite an existing file with new content. Use with caution as it will overwrite existing files without warning.",
    category: "destructive",
  },
  {
    server: "filesystem",
    name: "edit_file",
    description:
      "Make line-based edits to a text file. Each edit replaces exact line sequences with new content. Returns a git-style diff showing the changes made.",
    category: "write",
  },
  {
    server: "filesystem",
    name: "move_file",
    description: "Move or rename files and directories. If the destination exists, the operation will fail.",
    category: "write",
  },
  {
    server: "filesystem",
    name: "directory_tree",
    description: "Get a recursive tree view of files and directories as a JSON structure.",
    category: "read",
  },
  {
    server: "filesystem",
    name: "get_file_info",
    description: "Retrieve detailed metadata about a file or directory.",
    category: "read",
  },

  // git
  { server: "git", name: "git_status", description: "Shows the working tree status", category: "read" },
  {
    server: "git",
    name: "git_diff_unstaged",
    description: "Shows changes in the working directory that are not yet staged",
    category: "read",
  },
  { server: "git", name: "git_commit", description: "Records changes to the repository", category: "write" },
  {
    server: "git",
    name: "git_add",
    description: "Adds file contents to the staging area",
    category: "write",
  },
  { server: "git", name: "git_reset", description: "Unstages all staged changes", category: "write" },
  { server: "git", name: "git_log", description: "Shows the commit logs", category: "read" },
  {
    server: "git",
    name: "git_create_branch",
    description: "Creates a new branch from an optional base branch",
    category: "write",
  },
  { server: "git", name: "git_checkout", description: "Switches branches", category: "write" },
  { server: "git", name: "git_show", description: "Shows the contents of a commit", category: "read" },
  { server: "git", name: "git_branch", description: "List Git branches", category: "read" },

  // Shell and desktop
  { server: "shell", name: "shell_execute", description: "Execute a shell command", category: "execute" },
  {
    server: "desktop-commander",
    name: "start_process",
    description: "Start a new terminal process with intelligent state detection.",
    category: "execute",
  },
  {
    server: "desktop-commander",
    name: "interact_with_process",
    description: "Send input to a running process and automatically receive the response.",
    category: "execute",
  },
  {
    server: "desktop-commander",
    name: "read_process_output",
    description: "Read output from a running process.",
    category: "read",
  },
  {
    server: "desktop-commander",
    name: "force_terminate",
    description: "Force terminate a running terminal session.",
    category: "destructive",
  },
  {
    server: "desktop-commander",
    name: "kill_process",
    description: "Terminate a running process by PID.",
    category: "destructive",
  },
  {
    server: "desktop-commander",
    name: "list_processes",
    description: "List all running processes.",
    category: "read",
  },
  {
    server: "desktop-commander",
    name: "set_config_value",
    description: "Set a specific configuration value by key.",
    category: "write",
  },
  {
    server: "desktop-commander",
    name: "edit_block",
    description: "Apply surgical text replacements to files.",
    category: "write",
  },

  // Search, fetch, time
  {
    server: "brave-search",
    name: "brave_web_search",
    description: "Performs a web search using the Brave Search API.",
    category: "read",
  },
  {
    server: "fetch",
    name: "fetch",
    description: "Fetches a URL from the internet and optionally extracts its contents as markdown.",
    category: "read",
  },
  {
    server: "time",
    name: "get_current_time",
    description: "Get current time in a specific timezone",
    category: "read",
  },
  { server: "time", name: "convert_time", description: "Convert time between timezones", category: "read" },

  // Redis
  {
    server: "redis",
    name: "set",
    description: "Set a Redis string value with an optional expiration time.",
    category: "write",
  },
  { server: "redis", name: "get", description: "Get a Redis string value.", category: "read" },
  { server: "redis", name: "delete", description: "Delete a Redis key.", category: "destructive" },

  // Azure
  {
    server: "azure",
    name: "azmcp-group-list",
    description: "List all resource groups in a subscription.",
    category: "read",
  },
  {
    server: "azure",
    name: "azmcp-storage-blob-container-create",
    description: "Create a new blob container in a storage account.",
    category: "write",
  },
  {
    server: "azure",
    name: "azmcp-cosmos-database-container-item-query",
    description: "Execute a SQL query against items in a Cosmos DB container.",
    category: "execute",
  },

  // Google Cloud
  {
    server: "cloud-run",
    name: "deploy_local_folder",
    description: "Deploy a local folder to Cloud Run.",
    category: "write",
  },
  {
    server: "cloud-run",
    name: "list_services",
    description: "List Cloud Run services in a given project and region.",
    category: "read",
  },
  {
    server: "cloud-run",
    name: "get_service_log",
    description: "Get logs and error messages for a specific Cloud Run service.",
    category: "read",
  },
  {
    server: "bigquery",
    name: "execute_sql",
    description: "Use this tool to execute a SQL statement.",
    category: "execute",
  },
  {
    server: "bigquery",
    name: "list_dataset_ids",
    description: "Lists dataset IDs in the database.",
    category: "read",
  },

  // Supabase
  {
    server: "supabase",
    name: "list_projects",
    description: "Lists all Supabase projects for the user.",
    category: "read",
  },
  {
    server: "supabase",
    name: "execute_sql",
    description: "Executes raw SQL in the Postgres database.",
    category: "execute",
  },
  {
    server: "supabase",
    name: "apply_migration",
    description: "Applies a migration to the database. Use this when executing DDL operations.",
    category: "execute",
  },
  { server: "supabase", name: "pause_project", description: "Pauses a Supabase project.", category: "write" },
  {
    server: "supabase",
    name: "delete_branch",
    description: "Deletes a development branch.",
    category: "destructive",
  },
  {
    server: "supabase",
    name: "reset_branch",
    description:
      "Resets migrations of a development branch. Any untracked data or schema changes will be lost.",
    category: "destructive",
  },
  {
    server: "supabase",
    name: "get_logs",
    description: "Gets logs for a Supabase project by service type.",
    category: "read",
  },
  {
    server: "supabase",
    name: "generate_typescript_types",
    description: "Generates TypeScript types for a project.",
    category: "read",
  },
];
