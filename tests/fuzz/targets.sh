# tests/fuzz/targets.sh - sourced by tests/fuzz/run and tests/fuzz/replay.sh:
# the fuzz targets and where their seeds are, relative to the source tree.
# Saved findings live in tests/data/fuzz-regressions/TARGET/.

FUZZ_TARGETS="e820 e820-cmdline dom0-mem xenlog dump diff json p2m simulate"

fuzz_seed_dirs() {
	case $1 in
	e820)         echo tests/fuzz/seeds/e820 tests/data/e820 tests/data/xen-lab ;;
	e820-cmdline) echo tests/fuzz/seeds/e820-cmdline ;;
	dom0-mem)     echo tests/fuzz/seeds/dom0-mem ;;
	xenlog)       echo tests/data/xen-lab tests/data/e820 ;;
	dump)         echo tests/fuzz/seeds/dump tests/data/dump ;;
	diff)         echo tests/fuzz/seeds/diff ;;
	json)         echo tests/fuzz/seeds/json ;;
	p2m)          echo tests/fuzz/seeds/p2m ;;
	simulate)     echo tests/fuzz/seeds/simulate ;;
	*)            return 1 ;;
	esac
}

# libFuzzer's -timeout for one input of the target, in seconds.  simulate
# runs a whole boot with the full P2M, M2P and hypervisor checks; on the
# real maps of its seeds (hosts of up to 130 GiB) one input takes about
# 7 s in the instrumented build (0.2 s in a normal one).
fuzz_timeout() {
	case $1 in
	simulate) echo 60 ;;
	*)        echo 10 ;;
	esac
}

# A libFuzzer dictionary for the target, if there is one.
fuzz_dict() {
	case $1 in
	e820|xenlog|simulate)  echo tests/fuzz/dict/e820.dict ;;
	e820-cmdline|dom0-mem) echo tests/fuzz/dict/cmdline.dict ;;
	dump|diff)             echo tests/fuzz/dict/dump.dict ;;
	json)                  echo tests/fuzz/dict/json.dict ;;
	*)                     return 1 ;;
	esac
}
