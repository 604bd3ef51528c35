"""The rules of Recon Board: the stage machine and every state change. The only home of both."""
