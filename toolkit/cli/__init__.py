"""The ``tic`` command line: thin click commands over the library."""
