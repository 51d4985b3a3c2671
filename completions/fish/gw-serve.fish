# fish completion for gw-serve(8).  Installed in
# $(DATADIR)/fish/vendor_completions.d.  Completes options, *.json after -c,
# the log levels after --log-level and file names after --port-file; never
# runs gw-serve.  The option list agrees with usage() and gw-serve.8
# (tests/e2e/t0002-docs.sh).

complete -c gw-serve -f

# Directories and *.json files that start with the word being completed.
function __gw_serve_json_files
    set -l tok (commandline -ct | string replace -r -- '^(--config=|-c)' '')
    __fish_complete_path "$tok" | string match -r -- '^.*(?:/|\.json)(?=\t|$)'
end

complete -c gw-serve -s h -l help -d 'Print the usage and exit'
complete -c gw-serve -s V -l version -d 'Print the version and exit'
complete -c gw-serve -s v -l verbose -d 'Log everything, as --log-level debug'
complete -c gw-serve -s c -l config -x -a '(__gw_serve_json_files)' -d 'Read the configuration from file'
complete -c gw-serve -l check -d 'Check the configuration and exit'
complete -c gw-serve -l listen -x -d 'Listen on address (host:port, [v6]:port, unix:path)'
complete -c gw-serve -l log-level -x -a 'err warning notice info debug' -d 'Log this level and above'
complete -c gw-serve -l port-file -r -F -d 'Write the first TCP port to file'
complete -c gw-serve -l to -x -d 'Proxy every request to url (http://host:port)'
complete -c gw-serve -l workers -x -d 'Number of worker processes (1-256)'
