"""The audio pipeline: probing, transcoding, loudness, waveforms, and object storage.

A library the web layer calls; it never imports Flask.
"""
