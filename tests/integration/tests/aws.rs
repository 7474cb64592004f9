//! The aws plugin (the official AWS SDK inside the sandbox) against moto, the
//! AWS emulator, started by each test on a free loopback port: the shared
//! contract suite, AWS's own behaviour (stages, binary values, KMS keys,
//! recovery windows, batches), the errors a user must be able to tell apart,
//! host-side credentials with keyway-aws-auth (explicit keys, an STS role),
//! the SDK's retries, and placeholder resolution. The benchmark against the native SDK is `benches/aws.rs`.
//!
//! Needs `moto_server` from `moto[server]` (tests/requirements.txt) in `<repo>/.venv`.

#[path = "aws/answers.rs"]
mod answers;
#[path = "aws/behaviour.rs"]
mod behaviour;
#[path = "aws/contract.rs"]
mod contract;
#[path = "aws/failures.rs"]
mod failures;
#[path = "aws/moto.rs"]
mod moto;
#[path = "aws/placeholders.rs"]
mod placeholders;
#[path = "aws/records.rs"]
mod records;
#[path = "aws/retries.rs"]
mod retries;
#[path = "aws/setup.rs"]
mod setup;

pub use setup::{keys, AwsUnderTest, REGION};
