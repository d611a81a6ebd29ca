//! The `ureq` feature's names (`corio::ureq`), built only with the feature:
//! `cargo test --features ureq --test api_contract`.

use super::*;
use ::ureq::unversioned::resolver::Resolver;
use ::ureq::unversioned::transport::{Connector, Transport};
use corio::ureq::{CorioConnector, CorioResolver, CorioTransport};

pub fn items() {
    let _: fn() -> ::ureq::Agent = corio::ureq::agent;
    let _: fn(::ureq::config::Config) -> ::ureq::Agent = corio::ureq::agent_with;
    fn connector<C: Connector<(), Out = CorioTransport> + Clone + Copy + Default + Debug>() {}
    connector::<CorioConnector>();
    fn transport<T: Transport + Send + Sync + Debug>() {}
    transport::<CorioTransport>();
    fn resolver<R: Resolver + Clone + Copy + Default + Debug>() {}
    resolver::<CorioResolver>();
}
