"""The listener's library: favourites, followed artists, playlists, track pages."""
