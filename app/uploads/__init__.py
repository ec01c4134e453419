"""Audio uploads and processing: receiving files, transcodes, waveforms, artwork, originals."""
