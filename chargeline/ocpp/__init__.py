"""Protocol core without I/O: frames, error codes, compiled schemas and RPC state.

The gateway (CSMS side) and the station stack both drive these objects with text they
read from a socket and send the text these objects return.
"""
