"""`tslake run`: the whole pipeline on one machine, each service its own process, with live progress."""
