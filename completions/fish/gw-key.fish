# fish completion for gw-key(1).  Installed in
# $(DATADIR)/fish/vendor_completions.d.  Completes options and file names
# after -f; never runs gw-key.  The option list agrees with usage() and
# gw-key.1 (tests/e2e/t0002-docs.sh).

complete -c gw-key -f

complete -c gw-key -s h -l help -d 'Print the usage and exit'
complete -c gw-key -s V -l version -d 'Print the version and exit'
complete -c gw-key -s f -l file -r -F -d 'The key file'
complete -c gw-key -s g -l groups -x -d 'Groups of the new key\'s consumer (a,b)'
complete -c gw-key -s l -l list -d 'List the consumers and groups of the keys'
complete -c gw-key -s r -l revoke -x -d 'Remove every key of consumer'
