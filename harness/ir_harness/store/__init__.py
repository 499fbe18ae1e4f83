"""The result store and what every stored result records about its making."""
