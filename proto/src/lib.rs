//! Generated protobuf and gRPC code for xinfang (`xinfang.v1`).

#![allow(clippy::all, clippy::pedantic)]

pub mod v1 {
    tonic::include_proto!("xinfang.v1");
}

/// Encoded `FileDescriptorSet` for gRPC server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/xinfang_descriptor.bin"));

/// Version of the replication protocol spoken by this build.
pub const PROTOCOL_VERSION: u32 = 1;
