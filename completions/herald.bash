# bash completion for herald (installed as bash-completion/completions/herald)
_herald() {
    local cur prev words cword
    _init_completion 2>/dev/null || {
        cur="${COMP_WORDS[COMP_CWORD]}"
        prev="${COMP_WORDS[COMP_CWORD-1]}"
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
    }
    local commands="serve publish tail version"
    local cmd="" i
    for ((i = 1; i < cword; i++)); do
        case "${words[i]}" in
            serve|publish|tail|version) cmd="${words[i]}"; break ;;
        esac
    done
    if [[ -z "$cmd" ]]; then
        COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur"))
        return
    fi
    case "$prev" in
        --log-level) COMPREPLY=($(compgen -W "trace debug info warn error off" -- "$cur")); return ;;
        --since) COMPREPLY=($(compgen -W "earliest" -- "$cur")); return ;;
        --url|--public|--internal|--threads|--history-size|--history-ttl|--keepalive|--ws-ping-interval|\
        --ws-max-message-bytes|--max-channels|--outbox-bytes|--max-connections|--max-body-bytes|\
        --max-event-bytes|--event|-e|--idempotency-key|--count|-n) return ;;
    esac
    local opts
    case "$cmd" in
        serve) opts="--public --internal --log-level --threads --history-size --history-ttl --keepalive --ws-ping-interval --ws-max-message-bytes --max-channels --outbox-bytes --max-connections --max-body-bytes --max-event-bytes --help" ;;
        publish) opts="--url --event -e --idempotency-key --text --json --ndjson --help" ;;
        tail) opts="--url --since --count -n --json --ws --quiet -q --help" ;;
        version) opts="--json --help" ;;
    esac
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}
complete -F _herald herald
