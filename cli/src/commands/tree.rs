//! `theater tree`: the supervision tree, drawn with box characters.

use std::process::ExitCode;

use theater_api::{Tree, TreeNode};

use crate::cli::ListArgs;
use crate::client::Client;
use crate::output::print_json;

pub async fn tree(args: ListArgs) -> anyhow::Result<ExitCode> {
    let tree: Tree = Client::connect(&args.connection)?.get("/v1/tree").await?;
    if args.json {
        print_json(&serde_json::to_value(&tree)?);
        return Ok(ExitCode::SUCCESS);
    }
    let mut lines = Vec::new();
    for root in &tree.roots {
        draw(root, "", "", &mut lines);
    }
    lines.iter().for_each(|l| println!("{l}"));
    Ok(ExitCode::SUCCESS)
}

/// `node` on a line after `lead`, its children below with `indent` before their branches.
fn draw(node: &TreeNode, lead: &str, indent: &str, lines: &mut Vec<String>) {
    let mut line = format!("{lead}{} {} {}", node.name, node.id, node.status);
    if let Some(reason) = &node.reason {
        line.push_str(&format!(": {reason}"));
    }
    if node.restarts > 0 {
        line.push_str(&format!(" (restarts: {})", node.restarts));
    }
    lines.push(line);
    for (i, child) in node.children.iter().enumerate() {
        let last = i + 1 == node.children.len();
        let (branch, next) = if last {
            ("└── ", "    ")
        } else {
            ("├── ", "│   ")
        };
        draw(
            child,
            &format!("{indent}{branch}"),
            &format!("{indent}{next}"),
            lines,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(name: &str, children: Vec<TreeNode>) -> TreeNode {
        TreeNode {
            id: format!("{name}-id"),
            name: name.into(),
            status: "running".into(),
            reason: None,
            restarts: 0,
            children,
        }
    }

    #[test]
    fn children_hang_off_branches() {
        let mut lines = Vec::new();
        draw(
            &n("root", vec![n("a", vec![n("a1", vec![])]), n("b", vec![])]),
            "",
            "",
            &mut lines,
        );
        assert_eq!(
            lines,
            [
                "root root-id running",
                "├── a a-id running",
                "│   └── a1 a1-id running",
                "└── b b-id running"
            ]
        );
    }
}
