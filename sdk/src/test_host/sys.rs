//! The host calls served in process, with exactly the signatures of the wasm side
//! (`crate::wasm::sys`), so `crate::host` is written once for both.

use super::host::{answer_http, answer_request, with_state, Outgoing};
pub(crate) use super::timers::calls as timers;

pub(crate) mod runtime {
    use super::*;
    use crate::types::Chain;

    pub(crate) fn log(msg: &str) {
        with_state(|s| s.logs.push(msg.to_string()));
    }

    /// The test host records no chain.
    pub(crate) fn get_chain() -> Chain {
        Chain::default()
    }

    pub(crate) fn shutdown(result: Option<&[u8]>) -> Result<(), String> {
        with_state(|s| {
            s.outgoing.push(Outgoing::Shutdown {
                result: result.map(<[u8]>::to_vec),
            })
        });
        Ok(())
    }
}

pub(crate) mod messages {
    use super::*;

    pub(crate) fn send(actor_id: &str, msg: &[u8]) -> Result<(), String> {
        with_state(|s| {
            s.outgoing.push(Outgoing::Send {
                to: actor_id.to_string(),
                msg: msg.to_vec(),
            })
        });
        Ok(())
    }

    pub(crate) fn request(actor_id: &str, msg: &[u8]) -> Result<Vec<u8>, String> {
        answer_request(actor_id, msg)
    }

    /// Every channel opens.
    pub(crate) fn open_channel(actor_id: &str, initial_msg: &[u8]) -> Result<String, String> {
        Ok(with_state(|s| {
            let channel_id = s.next_id("channel");
            s.outgoing.push(Outgoing::OpenChannel {
                to: actor_id.to_string(),
                channel_id: channel_id.clone(),
                msg: initial_msg.to_vec(),
            });
            channel_id
        }))
    }

    pub(crate) fn send_on_channel(channel_id: &str, msg: &[u8]) -> Result<(), String> {
        with_state(|s| {
            s.outgoing.push(Outgoing::ChannelMessage {
                channel_id: channel_id.to_string(),
                msg: msg.to_vec(),
            })
        });
        Ok(())
    }

    pub(crate) fn close_channel(channel_id: &str) -> Result<(), String> {
        with_state(|s| {
            s.outgoing.push(Outgoing::CloseChannel {
                channel_id: channel_id.to_string(),
            })
        });
        Ok(())
    }

    pub(crate) fn list_outstanding_requests() -> Vec<String> {
        with_state(|s| s.outstanding.clone())
    }

    pub(crate) fn respond_to_request(request_id: &str, response: &[u8]) -> Result<(), String> {
        close_request(
            request_id,
            Outgoing::RespondToRequest {
                request_id: request_id.to_string(),
                reply: response.to_vec(),
            },
        )
    }

    /// Registers unless [`TestHost::name`](crate::TestHost::name) gave the name to another actor.
    pub(crate) fn register_name(name: &str) -> Result<(), String> {
        with_state(|s| match s.names.get(name) {
            Some(holder) => Err(format!(
                "test host: the name {name:?} belongs to actor {holder}"
            )),
            None => {
                s.outgoing.push(Outgoing::RegisterName {
                    name: name.to_string(),
                });
                Ok(())
            }
        })
    }

    pub(crate) fn lookup_name(name: &str) -> Option<String> {
        with_state(|s| s.names.get(name).cloned())
    }

    pub(crate) fn current_sender() -> Option<String> {
        with_state(|s| s.sender.clone())
    }

    pub(crate) fn cancel_request(request_id: &str) -> Result<(), String> {
        close_request(
            request_id,
            Outgoing::CancelRequest {
                request_id: request_id.to_string(),
            },
        )
    }

    /// Ends an outstanding request with `outcome`; unknown ids are an error, as in the runtime.
    fn close_request(request_id: &str, outcome: Outgoing) -> Result<(), String> {
        with_state(|s| {
            let before = s.outstanding.len();
            s.outstanding.retain(|id| id != request_id);
            if s.outstanding.len() == before {
                return Err(format!("test host: no outstanding request {request_id}"));
            }
            s.outgoing.push(outcome);
            Ok(())
        })
    }
}

pub(crate) mod supervisor {
    use super::*;
    use crate::types::ChainEvent;

    pub(crate) fn spawn(manifest: &str, init_bytes: Option<&[u8]>) -> Result<String, String> {
        Ok(start_child(|child_id| Outgoing::Spawn {
            manifest: manifest.to_string(),
            init: init_bytes.map(<[u8]>::to_vec),
            child_id,
        }))
    }

    pub(crate) fn resume(manifest: &str, init_state: Option<&[u8]>) -> Result<String, String> {
        Ok(start_child(|child_id| Outgoing::Resume {
            manifest: manifest.to_string(),
            state: init_state.map(<[u8]>::to_vec),
            child_id,
        }))
    }

    /// Records a new child; the child never runs.
    fn start_child(record: impl FnOnce(String) -> Outgoing) -> String {
        with_state(|s| {
            let child_id = s.next_id("child");
            s.children.push(child_id.clone());
            s.outgoing.push(record(child_id.clone()));
            child_id
        })
    }

    pub(crate) fn list_children() -> Vec<String> {
        with_state(|s| s.children.clone())
    }

    pub(crate) fn stop_child(child_id: &str) -> Result<(), String> {
        known_child(child_id)?;
        with_state(|s| {
            s.children.retain(|id| id != child_id);
            s.outgoing.push(Outgoing::StopChild {
                child_id: child_id.to_string(),
            });
        });
        Ok(())
    }

    pub(crate) fn restart_child(child_id: &str) -> Result<(), String> {
        known_child(child_id)?;
        with_state(|s| {
            s.outgoing.push(Outgoing::RestartChild {
                child_id: child_id.to_string(),
            })
        });
        Ok(())
    }

    /// Children never run in the test host, so they have no state.
    pub(crate) fn get_child_state(child_id: &str) -> Result<Option<Vec<u8>>, String> {
        known_child(child_id).map(|()| None)
    }

    /// Children never run in the test host, so they have no events.
    pub(crate) fn get_child_events(child_id: &str) -> Result<Vec<ChainEvent>, String> {
        known_child(child_id).map(|()| Vec::new())
    }

    fn known_child(child_id: &str) -> Result<(), String> {
        if with_state(|s| s.children.iter().any(|id| id == child_id)) {
            Ok(())
        } else {
            Err(format!("test host: no child {child_id}"))
        }
    }
}

pub(crate) mod store {
    use super::*;
    use crate::host::store::ContentRef;

    pub(crate) fn new() -> Result<String, String> {
        Ok(with_state(|s| {
            let id = s.next_id("store");
            s.stores.create(id.clone());
            id
        }))
    }

    pub(crate) fn store(store_id: &str, content: &[u8]) -> Result<ContentRef, String> {
        with_state(|s| s.stores.store(store_id, content))
    }

    pub(crate) fn get(store_id: &str, content_ref: &ContentRef) -> Result<Vec<u8>, String> {
        with_state(|s| s.stores.get(store_id, content_ref))
    }

    pub(crate) fn exists(store_id: &str, content_ref: &ContentRef) -> Result<bool, String> {
        with_state(|s| s.stores.exists(store_id, content_ref))
    }

    pub(crate) fn label(
        store_id: &str,
        label: &str,
        content_ref: &ContentRef,
    ) -> Result<(), String> {
        with_state(|s| s.stores.label(store_id, label, content_ref))
    }

    pub(crate) fn get_by_label(store_id: &str, label: &str) -> Result<Option<ContentRef>, String> {
        with_state(|s| s.stores.get_by_label(store_id, label))
    }

    pub(crate) fn remove_label(store_id: &str, label: &str) -> Result<(), String> {
        with_state(|s| s.stores.remove_label(store_id, label))
    }

    pub(crate) fn remove_from_label(
        store_id: &str,
        label: &str,
        content_ref: &ContentRef,
    ) -> Result<(), String> {
        with_state(|s| s.stores.remove_from_label(store_id, label, content_ref))
    }

    pub(crate) fn store_at_label(
        store_id: &str,
        label: &str,
        content: &[u8],
    ) -> Result<ContentRef, String> {
        let content_ref = store(store_id, content)?;
        self::label(store_id, label, &content_ref)?;
        Ok(content_ref)
    }

    pub(crate) fn replace_content_at_label(
        store_id: &str,
        label: &str,
        content: &[u8],
    ) -> Result<ContentRef, String> {
        let content_ref = store(store_id, content)?;
        replace_at_label(store_id, label, &content_ref)?;
        Ok(content_ref)
    }

    pub(crate) fn replace_at_label(
        store_id: &str,
        label: &str,
        content_ref: &ContentRef,
    ) -> Result<(), String> {
        with_state(|s| s.stores.replace_at_label(store_id, label, content_ref))
    }

    pub(crate) fn list_labels(store_id: &str) -> Result<Vec<String>, String> {
        with_state(|s| s.stores.list_labels(store_id))
    }

    pub(crate) fn list_all_content(store_id: &str) -> Result<Vec<ContentRef>, String> {
        with_state(|s| s.stores.list_all_content(store_id))
    }

    pub(crate) fn calculate_total_size(store_id: &str) -> Result<u64, String> {
        with_state(|s| s.stores.total_size(store_id))
    }
}

pub(crate) mod timing {
    use super::*;

    pub(crate) fn now() -> u64 {
        with_state(|s| s.now_ms)
    }

    /// Returns at once, moving the clock forward.
    pub(crate) fn sleep(duration: u64) -> Result<(), String> {
        with_state(|s| s.now_ms = s.now_ms.saturating_add(duration));
        Ok(())
    }

    /// Returns at once, moving the clock to `timestamp` if it is later.
    pub(crate) fn deadline(timestamp: u64) -> Result<(), String> {
        with_state(|s| s.now_ms = s.now_ms.max(timestamp));
        Ok(())
    }
}

pub(crate) mod random {
    use super::*;

    pub(crate) fn random_bytes(length: u32) -> Result<Vec<u8>, String> {
        let length = usize::try_from(length).map_err(|e| e.to_string())?;
        Ok(with_state(|s| s.rng.bytes(length)))
    }

    pub(crate) fn random_range(min: u64, max: u64) -> Result<u64, String> {
        if min >= max {
            return Err(format!(
                "random range is empty: min {min} must be below max {max}"
            ));
        }
        Ok(with_state(|s| min + s.rng.next_u64() % (max - min)))
    }

    pub(crate) fn random_float() -> Result<f64, String> {
        // The top 53 bits, scaled into [0, 1).
        Ok(with_state(|s| {
            (s.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
        }))
    }

    pub(crate) fn generate_uuid() -> Result<String, String> {
        Ok(with_state(|s| s.rng.uuid()))
    }
}

pub(crate) mod environment {
    use super::*;

    pub(crate) fn get_var(name: &str) -> Option<String> {
        with_state(|s| s.env.get(name).cloned())
    }

    pub(crate) fn list_vars() -> Vec<(String, String)> {
        with_state(|s| s.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
    }

    pub(crate) fn exists(name: &str) -> bool {
        with_state(|s| s.env.contains_key(name))
    }
}

pub(crate) mod filesystem {
    use super::*;
    use crate::host::filesystem::FileMetadata;

    pub(crate) fn read_file(path: &str) -> Result<Vec<u8>, String> {
        with_state(|s| s.files.read_file(path))
    }

    pub(crate) fn write_file(path: &str, content: &[u8]) -> Result<(), String> {
        with_state(|s| s.files.write_file(path, content))
    }

    pub(crate) fn list_files(path: &str) -> Result<Vec<String>, String> {
        with_state(|s| s.files.list_files(path))
    }

    pub(crate) fn delete_file(path: &str) -> Result<(), String> {
        with_state(|s| s.files.delete_file(path))
    }

    pub(crate) fn create_dir(path: &str) -> Result<(), String> {
        with_state(|s| s.files.create_dir(path))
    }

    pub(crate) fn delete_dir(path: &str) -> Result<(), String> {
        with_state(|s| s.files.delete_dir(path))
    }

    pub(crate) fn path_exists(path: &str) -> Result<bool, String> {
        with_state(|s| s.files.path_exists(path))
    }

    pub(crate) fn metadata(path: &str) -> Result<FileMetadata, String> {
        with_state(|s| s.files.metadata(path))
    }
}

pub(crate) mod http_client {
    use super::*;
    use crate::host::http::{HttpRequest, HttpResponse};

    /// Recorded, then answered from [`crate::TestHost::on_http`].
    pub(crate) fn send_http(request: HttpRequest) -> Result<HttpResponse, String> {
        answer_http(request)
    }
}

pub(crate) mod http_framework {
    use super::*;
    use crate::host::http_server::{HandlerId, MiddlewareId, RouteId, ServerConfig, ServerInfo};
    use crate::host::websocket::{ConnectionId, WsMessage};
    use crate::test_host::servers::TestWebSocket;

    pub(crate) fn create_server(config: &ServerConfig) -> Result<u64, String> {
        with_state(|s| s.servers.create(config))
    }

    pub(crate) fn get_server_info(server_id: u64) -> Result<ServerInfo, String> {
        with_state(|s| s.servers.info(server_id))
    }

    /// The configured port; for port 0, one the test host picks (40000 + the server id).
    pub(crate) fn start_server(server_id: u64) -> Result<u16, String> {
        with_state(|s| s.servers.start(server_id))
    }

    pub(crate) fn stop_server(server_id: u64) -> Result<(), String> {
        with_state(|s| s.servers.stop(server_id))
    }

    pub(crate) fn destroy_server(server_id: u64) -> Result<(), String> {
        with_state(|s| s.servers.destroy(server_id))
    }

    pub(crate) fn register_handler(name: &str) -> Result<HandlerId, String> {
        Ok(with_state(|s| s.servers.register_handler(name)))
    }

    pub(crate) fn add_route(
        server_id: u64,
        path: &str,
        method: &str,
        handler_id: HandlerId,
    ) -> Result<RouteId, String> {
        with_state(|s| s.servers.add_route(server_id, path, method, handler_id))
    }

    pub(crate) fn remove_route(route_id: RouteId) -> Result<(), String> {
        with_state(|s| s.servers.remove_route(route_id))
    }

    pub(crate) fn add_middleware(
        server_id: u64,
        path: &str,
        handler_id: HandlerId,
    ) -> Result<MiddlewareId, String> {
        with_state(|s| s.servers.add_middleware(server_id, path, handler_id))
    }

    pub(crate) fn remove_middleware(middleware_id: MiddlewareId) -> Result<(), String> {
        with_state(|s| s.servers.remove_middleware(middleware_id))
    }

    pub(crate) fn enable_websocket(
        server_id: u64,
        path: &str,
        connect: Option<HandlerId>,
        message: HandlerId,
        disconnect: Option<HandlerId>,
    ) -> Result<(), String> {
        let socket = TestWebSocket {
            path: path.to_string(),
            connect,
            message,
            disconnect,
        };
        with_state(|s| s.servers.enable_websocket(server_id, socket))
    }

    /// Recorded as [`Outgoing::WsSend`]; the connection must be open.
    pub(crate) fn send_websocket_message(
        server_id: u64,
        connection_id: ConnectionId,
        message: &WsMessage,
    ) -> Result<(), String> {
        with_state(|s| {
            s.servers.connection(server_id, connection_id)?;
            s.outgoing.push(Outgoing::WsSend {
                server: server_id,
                connection: connection_id,
                message: message.clone(),
            });
            Ok(())
        })
    }

    /// Recorded as [`Outgoing::WsClose`]; the connection closes.
    pub(crate) fn close_websocket(
        server_id: u64,
        connection_id: ConnectionId,
    ) -> Result<(), String> {
        with_state(|s| {
            s.servers.connection(server_id, connection_id)?;
            s.servers.connections.remove(&connection_id);
            s.outgoing.push(Outgoing::WsClose {
                server: server_id,
                connection: connection_id,
            });
            Ok(())
        })
    }
}
