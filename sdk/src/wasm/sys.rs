//! The host calls on wasm: the generated imports, with the SDK's types where the contract
//! has records. The native test host (`test_host::sys`) mirrors these signatures exactly,
//! so `crate::host` is written once for both.

pub(crate) use super::bindings::theater::simple::{environment, random, timers, timing};

pub(crate) mod runtime {
    pub(crate) use crate::wasm::bindings::theater::simple::runtime::{log, shutdown};

    pub(crate) fn get_chain() -> crate::Chain {
        crate::wasm::bindings::theater::simple::runtime::get_chain().into()
    }
}

pub(crate) mod messages {
    pub(crate) use crate::wasm::bindings::theater::simple::message_server_host::{
        cancel_request, close_channel, current_sender, list_outstanding_requests, lookup_name,
        open_channel, register_name, request, respond_to_request, send, send_on_channel,
    };
}

pub(crate) mod supervisor {
    use crate::wasm::bindings::theater::simple::supervisor as sys;
    pub(crate) use sys::{
        get_child_state, list_children, restart_child, resume, spawn, stop_child,
    };

    pub(crate) fn get_child_events(child_id: &str) -> Result<Vec<crate::ChainEvent>, String> {
        sys::get_child_events(child_id).map(|events| events.into_iter().map(Into::into).collect())
    }
}

pub(crate) mod store {
    use crate::host::store::ContentRef;
    use crate::wasm::bindings::theater::simple::store as sys;
    pub(crate) use sys::{calculate_total_size, list_labels, new, remove_label};

    pub(crate) fn store(store_id: &str, content: &[u8]) -> Result<ContentRef, String> {
        sys::store(store_id, content).map(Into::into)
    }

    pub(crate) fn get(store_id: &str, content_ref: &ContentRef) -> Result<Vec<u8>, String> {
        sys::get(store_id, &content_ref.into())
    }

    pub(crate) fn exists(store_id: &str, content_ref: &ContentRef) -> Result<bool, String> {
        sys::exists(store_id, &content_ref.into())
    }

    pub(crate) fn label(
        store_id: &str,
        label: &str,
        content_ref: &ContentRef,
    ) -> Result<(), String> {
        sys::label(store_id, label, &content_ref.into())
    }

    pub(crate) fn get_by_label(store_id: &str, label: &str) -> Result<Option<ContentRef>, String> {
        sys::get_by_label(store_id, label).map(|r| r.map(Into::into))
    }

    pub(crate) fn remove_from_label(
        store_id: &str,
        label: &str,
        content_ref: &ContentRef,
    ) -> Result<(), String> {
        sys::remove_from_label(store_id, label, &content_ref.into())
    }

    pub(crate) fn store_at_label(
        store_id: &str,
        label: &str,
        content: &[u8],
    ) -> Result<ContentRef, String> {
        sys::store_at_label(store_id, label, content).map(Into::into)
    }

    pub(crate) fn replace_content_at_label(
        store_id: &str,
        label: &str,
        content: &[u8],
    ) -> Result<ContentRef, String> {
        sys::replace_content_at_label(store_id, label, content).map(Into::into)
    }

    pub(crate) fn replace_at_label(
        store_id: &str,
        label: &str,
        content_ref: &ContentRef,
    ) -> Result<(), String> {
        sys::replace_at_label(store_id, label, &content_ref.into())
    }

    pub(crate) fn list_all_content(store_id: &str) -> Result<Vec<ContentRef>, String> {
        sys::list_all_content(store_id).map(|refs| refs.into_iter().map(Into::into).collect())
    }
}

pub(crate) mod filesystem {
    use crate::host::filesystem::FileMetadata;
    use crate::wasm::bindings::theater::simple::filesystem as sys;
    pub(crate) use sys::{create_dir, delete_dir, delete_file, list_files, path_exists, read_file};

    /// Any bytes, through `write-file-bytes` (`write-file` takes text, as upstream's does).
    pub(crate) fn write_file(path: &str, content: &[u8]) -> Result<(), String> {
        sys::write_file_bytes(path, content)
    }

    pub(crate) fn metadata(path: &str) -> Result<FileMetadata, String> {
        sys::metadata(path).map(Into::into)
    }
}

pub(crate) mod http_client {
    use crate::host::http::{HttpRequest, HttpResponse};
    use crate::wasm::bindings::theater::simple::http_client as sys;

    pub(crate) fn send_http(request: HttpRequest) -> Result<HttpResponse, String> {
        sys::send_http(&request.into()).map(Into::into)
    }
}

pub(crate) mod http_framework {
    use crate::host::http_server::{ServerConfig, ServerInfo};
    use crate::host::websocket::WsMessage;
    use crate::wasm::http_bindings::theater::simple::http_framework as sys;
    pub(crate) use sys::{
        add_middleware, add_route, close_websocket, destroy_server, enable_websocket,
        register_handler, remove_middleware, remove_route, start_server, stop_server,
    };

    pub(crate) fn create_server(config: &ServerConfig) -> Result<u64, String> {
        sys::create_server(&config.into())
    }

    pub(crate) fn get_server_info(server_id: u64) -> Result<ServerInfo, String> {
        sys::get_server_info(server_id).map(Into::into)
    }

    pub(crate) fn send_websocket_message(
        server_id: u64,
        connection_id: u64,
        message: &WsMessage,
    ) -> Result<(), String> {
        sys::send_websocket_message(server_id, connection_id, &message.into())
    }
}
