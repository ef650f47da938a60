## mk/discover.mk: rules for this part of the tree (see Makefile.am).
