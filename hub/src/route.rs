//! Routing by scope: which documents cross a parent-child link, in which direction.
//!
//! Up: a node sends its parent every document whose scope touches its own subtree.
//! Down: a node sends child `c` only documents whose scope touches `c`'s subtree.
//! Never sideways: siblings are not linked, so a forward between siblings travels up
//! to their common superior and down again.

use crate::doc::Scope;
use crate::topology::{Topology, UnitCode};

/// What the peer is to us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerRole {
    Parent,
    Child,
}

impl PeerRole {
    pub fn as_str(self) -> &'static str {
        match self {
            PeerRole::Parent => "parent",
            PeerRole::Child => "child",
        }
    }
}

/// One end of a parent-child link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub me: UnitCode,
    pub peer: UnitCode,
    pub role: PeerRole,
}

impl Link {
    /// The links a unit has according to the topology: its parent, then its children.
    pub fn all_for(topology: &Topology, me: &UnitCode) -> Vec<Link> {
        let mut out = Vec::new();
        if let Some(p) = topology.parent(me) {
            out.push(Link {
                me: me.clone(),
                peer: p.clone(),
                role: PeerRole::Parent,
            });
        }
        for c in topology.children(me) {
            out.push(Link {
                me: me.clone(),
                peer: c.clone(),
                role: PeerRole::Child,
            });
        }
        out
    }

    /// The subtree whose documents cross this link.
    fn shared_root(&self) -> &UnitCode {
        match self.role {
            PeerRole::Parent => &self.me,
            PeerRole::Child => &self.peer,
        }
    }

    /// Should a document with this scope be sent to the peer?
    pub fn sends(&self, topology: &Topology, scope: &Scope) -> bool {
        topology.touches_subtree(self.shared_root(), scope)
    }

    /// May the peer send us a document with this scope? The mirror of `sends`.
    pub fn accepts(&self, topology: &Topology, scope: &Scope) -> bool {
        topology.touches_subtree(self.shared_root(), scope)
    }
}
