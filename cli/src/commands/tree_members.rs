//! The actors of one supervision tree — an actor and all its descendants, parents before
//! their children — for `theater events --tree` and `theater subscribe --tree`: from the
//! server's tree when one answers, else from the parent links the chain database records.

use theater_api::{ActorView, Tree, TreeNode};
use theater_chain::{ChainError, ChainReader};

use crate::client::{actor_path, Client, ClientError};

/// `id` (an id, a prefix of one, or a name) and its descendants, as the server knows them.
pub async fn from_server(client: &Client, id: &str) -> Result<Vec<String>, ClientError> {
    let root: ActorView = client.get(&actor_path(id, "")).await?;
    let tree: Tree = client.get("/v1/tree").await?;
    let mut members = Vec::new();
    if let Some(node) = find(&tree.roots, &root.id) {
        collect(node, &mut members);
    } else {
        members.push(root.id);
    }
    Ok(members)
}

/// `id` (or a prefix of it) and its descendants, as the chain database records them.
pub fn from_db(reader: &ChainReader, id: &str) -> Result<Vec<String>, ChainError> {
    let root = reader.actor(id)?.actor_id;
    let actors = reader.actors()?;
    let mut members = vec![root];
    let mut next = 0;
    while let Some(parent) = members.get(next).cloned() {
        let children = actors
            .iter()
            .filter(|a| a.parent_id.as_deref() == Some(parent.as_str()));
        members.extend(children.map(|a| a.actor_id.clone()));
        next += 1;
    }
    Ok(members)
}

fn find<'a>(nodes: &'a [TreeNode], id: &str) -> Option<&'a TreeNode> {
    nodes.iter().find_map(|n| {
        if n.id == id {
            Some(n)
        } else {
            find(&n.children, id)
        }
    })
}

fn collect(node: &TreeNode, out: &mut Vec<String>) {
    out.push(node.id.clone());
    node.children.iter().for_each(|c| collect(c, out));
}
