# Suite: --help lists only options some code reads, or says "not implemented
# yet" for them (issue 9; SPEC §7's table is the contract).
bash "$RC_ROOT/test/lib/opts-readers.sh" "$RC_ROOT"
