//! Generated protobuf and gRPC code for xinfang (`xinfang.v1`).

#![allow(clippy::all, clippy::pedantic)]

pub mod v1 {
    tonic::include_proto!("xinfang.v1");
}

/// Encoded `FileDescriptorSet` for gRPC server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/xinfang_descriptor.bin"));

/// Version of the replication protocol spoken by this build (2: a document may
/// travel as its changes since a version the receiver holds; 3: a batch's
/// documents may travel packed, `Batch.packed`).
pub const PROTOCOL_VERSION: u32 = 3;

/// How long the API's free texts may be, in characters (leading and trailing
/// blanks not counted): part of the API's contract, so that a client can refuse a
/// text before sending it. The node enforces them (`xinfang_node::case`).
pub mod limits {
    /// A petitioner's name.
    pub const MAX_PETITIONER_CHARS: usize = 100;
    /// A petition's demand (the registration's content).
    pub const MAX_CONTENT_CHARS: usize = 10_000;
    /// A note, reply, notice or other free text on a case.
    pub const MAX_NOTE_CHARS: usize = 10_000;
}
